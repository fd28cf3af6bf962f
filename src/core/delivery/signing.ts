import { createHmac, randomBytes } from 'node:crypto';

export type BrandedFormat = 'hex' | 'sha256=hex';

const WHSEC = 'whsec_';

/** A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return WHSEC + randomBytes(32).toString('base64');
}

/** The HMAC key Standard Webhooks uses: the base64 part of a `whsec_` secret, else the raw UTF-8 bytes. */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(WHSEC) ? Buffer.from(secret.slice(WHSEC.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, per the Standard Webhooks spec. */
export function signStandard(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** A plain HMAC-SHA256 hex of the raw body, keyed by the whole secret string, for hand-written receivers. */
export function signBranded(secret: string, body: string, format: BrandedFormat): string {
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  return format === 'hex' ? hex : `sha256=${hex}`;
}
