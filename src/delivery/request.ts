import { type BrandedFormat, signBranded, signStandard } from './signing.ts';

export interface EventEnvelope {
  id: string;
  type: string;
  timestamp: Date;
  projectId: string;
  data: unknown;
}

export interface HeaderSettings {
  userAgent: string;
  headerPrefix: string;
  signatureFormat: BrandedFormat;
}

/** The exact body every try of every delivery of an event sends: compact JSON, fixed key order. */
export function serializeEnvelope(event: EventEnvelope): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.timestamp.toISOString(),
    project_id: event.projectId,
    data: event.data,
  });
}

/** Lower-cased names a webhook's custom headers may not set: ours, and those the HTTP client owns. */
export function reservedHeaderNames(headerPrefix: string): Set<string> {
  const p = headerPrefix.toLowerCase();
  return new Set([
    'content-type',
    'content-length',
    'user-agent',
    'host',
    'connection',
    'transfer-encoding',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    `${p}-signature`,
    `${p}-event`,
    `${p}-delivery`,
  ]);
}

export interface SignedRequestInput {
  settings: HeaderSettings;
  event: EventEnvelope;
  deliveryId: string;
  body: string;
  /** Newest first; during a rotation grace period every secret signs. */
  secrets: string[];
  customHeaders: Record<string, string>;
  timestampSeconds: number;
}

export function buildSignedHeaders(input: SignedRequestInput): Record<string, string> {
  const { settings, event, body, secrets } = input;
  const reserved = reservedHeaderNames(settings.headerPrefix);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.customHeaders)) {
    if (!reserved.has(name.toLowerCase())) headers[name] = value;
  }
  headers['content-type'] = 'application/json';
  headers['user-agent'] = settings.userAgent;
  headers['webhook-id'] = event.id;
  headers['webhook-timestamp'] = String(input.timestampSeconds);
  headers['webhook-signature'] = secrets
    .map((s) => signStandard(s, event.id, input.timestampSeconds, body))
    .join(' ');
  headers[`${settings.headerPrefix}-Signature`] = signBranded(secrets[0], body, settings.signatureFormat);
  headers[`${settings.headerPrefix}-Event`] = event.type;
  headers[`${settings.headerPrefix}-Delivery`] = input.deliveryId;
  return headers;
}
