import type { Db } from '../db/client.ts';
import type { SecretBox } from './secretBox.ts';
import { isHint, isSensitiveHeader, openHeaders, sealHeaders } from './sensitiveHeaders.ts';

type Row = { id: string; headers: unknown; sensitiveHeaders: string[]; headersCiphertext: string | null; headersKeyId: string | null };
const COLUMNS = { id: true, headers: true, sensitiveHeaders: true, headersCiphertext: true, headersKeyId: true } as const;

const headersOf = (row: Row) => (row.headers ?? {}) as Record<string, string>;

/** Rewrites a row's header columns, only if nobody changed them since they were read. */
async function reseal(db: Db, box: SecretBox, row: Row): Promise<boolean> {
  const full = openHeaders(box, { headers: headersOf(row), headersCiphertext: row.headersCiphertext, headersKeyId: row.headersKeyId });
  const { count } = await db.webhook.updateMany({
    where: { id: row.id, headersCiphertext: row.headersCiphertext, headers: { equals: row.headers as object } },
    data: sealHeaders(box, full, row.sensitiveHeaders),
  });
  return count === 1;
}

/**
 * Seals sensitive header values still stored in the clear: those of webhooks created before sealing
 * existed (SQL cannot encrypt without the key, so the migration leaves them to this). The API runs it
 * on start and `npm run secrets:reencrypt` with the re-encryption. Returns the webhooks sealed.
 */
export async function sealPlaintextHeaders(db: Db, box: SecretBox): Promise<number> {
  // Sealing writes every sensitive value of a row at once, so a row with a ciphertext has none left in
  // the clear; nor has one without custom headers (most webhooks), which every start would read again.
  const rows: Row[] = await db.webhook.findMany({ where: { headersCiphertext: null, NOT: { headers: { equals: {} } } }, select: COLUMNS });
  let sealed = 0;
  for (const row of rows) {
    const plaintext = Object.entries(headersOf(row)).some(([name, value]) => isSensitiveHeader(name, row.sensitiveHeaders) && !isHint(value));
    if (plaintext && (await reseal(db, box, row))) sealed++;
  }
  return sealed;
}

/** After a key change: re-seals every webhook's sensitive headers still under an older key. */
export async function reencryptHeaders(db: Db, box: SecretBox, currentKeyId: string): Promise<number> {
  const rows: Row[] = await db.webhook.findMany({
    where: { headersCiphertext: { not: null }, headersKeyId: { not: currentKeyId } },
    select: COLUMNS,
  });
  let count = 0;
  for (const row of rows) if (await reseal(db, box, row)) count++;
  return count;
}
