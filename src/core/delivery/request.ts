import { type BrandedFormat, signBranded, signStandard } from './signing.ts';

export interface EventEnvelope {
  id: string;
  type: string;
  timestamp: Date;
  projectId: string;
  data: unknown;
}

export interface HeaderSettings {
  envelope: EnvelopeFields;
  userAgent: string;
  headerPrefix: string;
  signatureFormat: BrandedFormat;
}

const ENVELOPE_SOURCES = {
  id: (e: EventEnvelope) => e.id,
  type: (e: EventEnvelope) => e.type,
  timestamp: (e: EventEnvelope) => e.timestamp.toISOString(),
  project_id: (e: EventEnvelope) => e.projectId,
  data: (e: EventEnvelope) => e.data,
};
export type EnvelopeSource = keyof typeof ENVELOPE_SOURCES;
/** Body keys in order, each with the event fact it carries. */
export type EnvelopeFields = [name: string, source: EnvelopeSource][];

export const DEFAULT_ENVELOPE: EnvelopeFields = ['id', 'type', 'timestamp', 'project_id', 'data'].map((f) => [f, f as EnvelopeSource]);

/**
 * Parses `HOOKPOST_ENVELOPE`, e.g. "id,type,createdAt=timestamp,data": the body's keys in order,
 * `name=source` renaming one of id, type, timestamp, project_id, data, so that a product whose docs
 * promise `createdAt` (or leave out `project_id`) keeps its promise.
 */
export function parseEnvelope(spec: string): EnvelopeFields {
  const fields = spec.split(',').map((part): [string, EnvelopeSource] => {
    const [name, source = name] = part
      .trim()
      .split('=')
      .map((s) => s.trim());
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !(source in ENVELOPE_SOURCES)) {
      throw new Error(`"${part.trim()}" is not name or name=source (source one of ${Object.keys(ENVELOPE_SOURCES).join(', ')})`);
    }
    return [name, source as EnvelopeSource];
  });
  if (new Set(fields.map(([n]) => n)).size !== fields.length) throw new Error('a key appears twice');
  if (!fields.some(([, s]) => s === 'data')) throw new Error('the envelope must carry data');
  return fields;
}

/**
 * The exact body every try of every delivery of an event sends: compact JSON, fixed key order. With
 * `dataJson` (the data as stored, itself compact JSON) the data is spliced in as it is, unparsed.
 */
export function serializeEnvelope(event: EventEnvelope & { dataJson?: string }, fields: EnvelopeFields = DEFAULT_ENVELOPE): string {
  if (event.dataJson === undefined) {
    return JSON.stringify(Object.fromEntries(fields.map(([name, source]) => [name, ENVELOPE_SOURCES[source](event)])));
  }
  const raw = event.dataJson;
  const parts = fields.map(([name, source]) => `${JSON.stringify(name)}:${source === 'data' ? raw : JSON.stringify(ENVELOPE_SOURCES[source](event))}`);
  return `{${parts.join(',')}}`;
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
  /**
   * Newest first. During a rotation's grace period the standard header carries a signature by
   * each, and the branded header is signed by the oldest: the one a receiver that checks a single
   * secret still has, until the rotation is finished.
   */
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
  headers['webhook-signature'] = secrets.map((s) => signStandard(s, event.id, input.timestampSeconds, body)).join(' ');
  headers[`${settings.headerPrefix}-Signature`] = signBranded(secrets[secrets.length - 1], body, settings.signatureFormat);
  headers[`${settings.headerPrefix}-Event`] = event.type;
  headers[`${settings.headerPrefix}-Delivery`] = input.deliveryId;
  return headers;
}
