import type { ChildProcess } from 'node:child_process';
import { forkChild, ipcRequest, nextMessage, stopChild } from './children.ts';
import { pollUntil } from './clock.ts';

/** One request as the receiver saw it; `tag`, `seq` and `sentAt` come from the event's data. */
export interface ArrivalRecord {
  path: string;
  /** The `webhook-id` header: the event's id, the same for every try of a delivery. */
  eventId: string;
  deliveryId: string;
  tag: string;
  seq: number;
  sentAt: number;
  arrivedAt: number;
}

export interface Receiver {
  origin: string;
  /** The receiver's process, for CPU accounting. */
  pid: number;
  url(path: string): string;
  /** Arrivals of events published with this tag, in arrival order. */
  arrivals(tag: string): ArrivalRecord[];
  /** Distinct deliveries (endpoint path + webhook-id) that arrived with this tag. */
  count(tag: string): number;
  /** Requests that reached an endpoint with a webhook-id it had already received. */
  duplicates(tag: string): number;
  /** Waits until `count` requests with this tag arrived; false when `timeoutMs` passed first. */
  waitForCount(tag: string, count: number, timeoutMs: number, onTick?: () => void): Promise<boolean>;
  /** Makes sure every request received so far has been reported. */
  flush(): Promise<void>;
  /**
   * Drops what was recorded for a tag (a finished measurement) and ignores its late arrivals
   * (retries of a slow endpoint, say), to keep the bench's memory flat.
   */
  forget(tag: string): void;
  /** Drops every slow or hanging request held, and those that come later (only isolation has such endpoints). */
  releaseHeld(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const child: ChildProcess = forkChild('receiver');
  const byTag = new Map<string, { records: ArrivalRecord[]; distinct: Set<string> }>();
  const forgotten = new Set<string>();
  child.on('message', (msg: { arrivals?: ArrivalRecord[] }) => {
    for (const record of msg.arrivals ?? []) {
      if (forgotten.has(record.tag)) continue;
      let entry = byTag.get(record.tag);
      if (!entry) byTag.set(record.tag, (entry = { records: [], distinct: new Set() }));
      entry.records.push(record);
      entry.distinct.add(`${record.path} ${record.eventId}`);
    }
  });
  const port = await nextMessage(child, (m) => (typeof m?.port === 'number' ? (m.port as number) : undefined), 30_000);
  const origin = `http://127.0.0.1:${port}`;
  const count = (tag: string) => byTag.get(tag)?.distinct.size ?? 0;
  return {
    origin,
    pid: child.pid!,
    url: (path) => `${origin}${path}`,
    arrivals: (tag) => byTag.get(tag)?.records ?? [],
    count,
    duplicates: (tag) => {
      const entry = byTag.get(tag);
      return entry ? entry.records.length - entry.distinct.size : 0;
    },
    waitForCount: (tag, n, timeoutMs, onTick) => pollUntil(() => count(tag) >= n, timeoutMs, 20, onTick),
    async flush() {
      await ipcRequest(child, { cmd: 'flush' });
    },
    forget(tag) {
      byTag.delete(tag);
      forgotten.add(tag);
    },
    async releaseHeld() {
      await ipcRequest(child, { cmd: 'release' });
    },
    stop: () => stopChild(child, 3000),
  };
}
