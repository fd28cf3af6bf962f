import type { Config } from '../../src/core/config.ts';
import { buildSignedHeaders, serializeEnvelope } from '../../src/core/delivery/request.ts';
import type { OutboundRequest } from '../httpSender.ts';
import type { DueDelivery } from './claim.ts';

/** Opens a sealed secret (cached by the caller). */
export type SecretOpener = (ciphertext: string, keyId: string) => string;

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
  settings: Config['delivery'],
  openSecret: SecretOpener,
  now: Date,
): OutboundRequest {
  const { event, webhook } = delivery;
  const body = serializeEnvelope(event, settings.envelope);
  const headers = buildSignedHeaders({
    settings,
    event,
    deliveryId: delivery.id,
    body,
    secrets: signingSecrets(webhook, openSecret, now),
    customHeaders: webhook.headers,
    timestampSeconds: Math.floor(now.getTime() / 1000),
  });
  return { url: webhook.url, headers, body, timeoutMs: webhook.timeoutSeconds * 1000 };
}
