import type { ProjectSettings } from '../../src/core/delivery/projectSettings.ts';
import { redactHeaders } from '../../src/core/crypto/sensitiveHeaders.ts';
import { buildSignedHeaders, serializeEnvelope } from '../../src/core/delivery/request.ts';
import type { OutboundRequest } from '../httpSender.ts';
import type { DueDelivery } from './claim.ts';

/** Opens a sealed secret (cached by the caller). */
export type SecretOpener = (ciphertext: string, keyId: string) => string;
/** Opens a webhook's sealed headers, name to value (cached by the caller). */
export type HeadersOpener = (ciphertext: string, keyId: string) => Readonly<Record<string, string>>;

/** The custom headers as the receiver gets them: sensitive values opened in place of their hints. */
export function customHeaders(webhook: DueDelivery['webhook'], openHeaders: HeadersOpener): Record<string, string> {
  const { headers, headersCiphertext, headersKeyId } = webhook;
  return headersCiphertext && headersKeyId ? { ...headers, ...openHeaders(headersCiphertext, headersKeyId) } : headers;
}

/**
 * The request headers as the attempt log keeps them: each sensitive custom header's value as its
 * hint. Only custom names are looked at (Hookpost's own headers carry signatures, no credentials).
 */
export function loggedHeaders(webhook: DueDelivery['webhook'], sent: Record<string, string>): Record<string, string> {
  return redactHeaders(sent, webhook.sensitiveHeaders, Object.keys(webhook.headers));
}

/** The current secret, and during a rotation's grace period the previous one too. */
export function signingSecrets(webhook: DueDelivery['webhook'], openSecret: SecretOpener, now: Date): string[] {
  const secrets = [openSecret(webhook.secretCiphertext, webhook.secretKeyId)];
  const { previousSecretCiphertext: prev, previousSecretKeyId: prevKey, previousSecretExpiresAt: until } = webhook;
  if (prev && prevKey && until && until > now) secrets.push(openSecret(prev, prevKey));
  return secrets;
}

/** The exact POST for this attempt: the event's body, signed with this attempt's timestamp. */
export function buildRequest(
  delivery: DueDelivery,
  settings: ProjectSettings,
  openSecret: SecretOpener,
  now: Date,
  openHeaders: HeadersOpener,
): OutboundRequest {
  const { event, webhook } = delivery;
  const body = serializeEnvelope(event, settings.envelope);
  const headers = buildSignedHeaders({
    settings,
    event,
    deliveryId: delivery.id,
    body,
    secrets: signingSecrets(webhook, openSecret, now),
    customHeaders: customHeaders(webhook, openHeaders),
    timestampSeconds: Math.floor(now.getTime() / 1000),
  });
  return { url: webhook.url, headers, body, timeoutMs: webhook.timeoutSeconds * 1000 };
}
