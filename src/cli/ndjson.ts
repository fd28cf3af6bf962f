import { createHash } from 'node:crypto';
import { badInput, CliError } from './errors.ts';

/** One line of an NDJSON file, ready to publish. */
export interface NdjsonEvent {
  line: number;
  type: string;
  data: Record<string, unknown>;
  idempotencyKey: string;
  projectId?: string;
  /** To this tenant's webhooks and the project-wide ones. */
  tenantId?: string;
  /** To every tenant's webhooks and the project-wide ones. */
  broadcast?: boolean;
}

const LINE_KEYS = new Set(['type', 'data', 'idempotencyKey', 'projectId', 'tenantId', 'broadcast']);

/**
 * The key prefix of lines that bring no key of their own: the file's content hash, so that running
 * the same file again (after a failure, a Ctrl-C, a lost connection) publishes nothing twice.
 */
export function defaultKeyPrefix(content: string): string {
  return `ndjson:${createHash('sha256').update(content).digest('hex')}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Lines that name neither a tenant nor a broadcast take the command's routing (--tenant, --broadcast). */
export function withRouting(events: NdjsonEvent[], routing: { tenantId?: string; broadcast?: boolean }): NdjsonEvent[] {
  if (!routing.tenantId && !routing.broadcast) return events;
  return events.map((e) => (e.tenantId !== undefined || e.broadcast !== undefined ? e : { ...e, ...routing }));
}

/**
 * Every line is checked before anything is published: one bad line refuses the whole file, with
 * the line numbers of (up to five of) the problems. Blank lines are skipped but keep their numbers.
 */
export function parseNdjson(content: string, keyPrefix: string): NdjsonEvent[] {
  const events: NdjsonEvent[] = [];
  const problems: string[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      problems.push(`line ${line}: not JSON (${(err as Error).message})`);
      return;
    }
    if (!isObject(value)) return void problems.push(`line ${line}: expected an object like {"type": "order.shipped", "data": {…}}`);
    const unknown = Object.keys(value).filter((k) => !LINE_KEYS.has(k));
    if (unknown.length) return void problems.push(`line ${line}: unknown key ${unknown.map((k) => `"${k}"`).join(', ')}`);
    const { type, data = {}, idempotencyKey, projectId, tenantId, broadcast } = value;
    if (typeof type !== 'string' || !type) return void problems.push(`line ${line}: "type" must be a non-empty string`);
    if (!isObject(data)) return void problems.push(`line ${line}: "data" must be a JSON object`);
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !idempotencyKey)) {
      return void problems.push(`line ${line}: "idempotencyKey" must be a non-empty string`);
    }
    if (projectId !== undefined && typeof projectId !== 'string') return void problems.push(`line ${line}: "projectId" must be a string`);
    if (tenantId !== undefined && (typeof tenantId !== 'string' || !tenantId)) return void problems.push(`line ${line}: "tenantId" must be a non-empty string`);
    if (broadcast !== undefined && typeof broadcast !== 'boolean') return void problems.push(`line ${line}: "broadcast" must be true or false`);
    if (tenantId !== undefined && broadcast) return void problems.push(`line ${line}: give "tenantId" or "broadcast": true, not both`);
    events.push({
      line,
      type,
      data,
      idempotencyKey: idempotencyKey ?? `${keyPrefix}:${line}`,
      ...(projectId ? { projectId } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(broadcast !== undefined ? { broadcast } : {}),
    });
  });
  if (problems.length) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
    throw badInput(`${problems.slice(0, 5).join('; ')}${more}`);
  }
  if (!events.length) throw badInput('no events in the file');
  return events;
}

/** What the server said of one event. */
export interface Published {
  replayed: boolean;
  deliveryCount: number;
}

export type PublishBatch = (events: NdjsonEvent[]) => Promise<Published[]>;

export interface PublishTally {
  published: number;
  replayed: number;
  /** Deliveries of the newly published events. */
  deliveries: number;
  /** Lines not confirmed published: re-run the same file to send them. */
  remaining: number;
  /** The first failure; publishing stopped taking new batches at it. */
  failure?: { code: string; message: string; line: number };
}

/** Batches of at most `maxEvents` events and about `maxBytes` of JSON (the API refuses large bodies). */
export function batches(events: NdjsonEvent[], maxEvents: number, maxBytes = 512 * 1024): NdjsonEvent[][] {
  const out: NdjsonEvent[][] = [];
  let current: NdjsonEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = JSON.stringify(event.data).length + event.type.length + event.idempotencyKey.length + 64;
    if (current.length && (current.length >= maxEvents || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * Publishes the batches with `concurrency` in flight. At the first failure, or when `signal` fires,
 * no new batch starts; the ones in flight finish, and the tally says how far it got.
 */
export async function publishAll(
  work: NdjsonEvent[][],
  publish: PublishBatch,
  concurrency: number,
  onProgress: (done: number) => void = () => {},
  signal?: AbortSignal,
): Promise<PublishTally> {
  const total = work.reduce((n, b) => n + b.length, 0);
  const tally: PublishTally = { published: 0, replayed: 0, deliveries: 0, remaining: total };
  let next = 0;
  const worker = async () => {
    while (!tally.failure && !signal?.aborted && next < work.length) {
      const batch = work[next++];
      try {
        const results = await publish(batch);
        for (const r of results) {
          if (r.replayed) tally.replayed += 1;
          else {
            tally.published += 1;
            tally.deliveries += r.deliveryCount;
          }
        }
        tally.remaining -= batch.length;
        onProgress(total - tally.remaining);
      } catch (err) {
        const { code, message, field } = err instanceof CliError ? err : { code: 'INTERNAL_ERROR', message: String(err), field: undefined };
        // A bulk call refused whole names the event at fault (`events.<index>`): report its line.
        const index = Number(/^(?:input\.)?events\.(\d+)/.exec(field ?? '')?.[1] ?? 0);
        tally.failure ??= { code, message, line: (batch[index] ?? batch[0]).line };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  return tally;
}
