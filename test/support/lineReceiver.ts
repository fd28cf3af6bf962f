import type { ServerResponse } from 'node:http';
import { type ReceivedRequest, type Receiver, startReceiver } from './receiver.ts';

/** What the receiver does with one request: answer with a status, or hold it (answer later, or never). */
export type LineAnswer = number | 'hold';

export interface LineReceiver extends Receiver {
  /** `data.i` of every request answered 2xx, in the order the answers were given. */
  receipts: number[];
  /** `data.i` of every request, in arrival order. */
  arrivals: number[];
  /** The most requests it ever had open at once. */
  maxOpen(): number;
  /** Answers every held request with this status. */
  release(status?: number): void;
}

export const indexOf = (req: ReceivedRequest): number => (JSON.parse(req.body) as { data: { i: number } }).data.i;

/**
 * A receiver for ordered endpoints: it remembers the order of requests and of successful answers and
 * how many requests were open at once (from arrival until the answer is sent or the connection dies).
 * `answer` decides each request, given its `data.i` and its arrival number (1-based); the answer is
 * sent `delayMs` later, so that two requests sent at once would be seen open together.
 */
export async function startLineReceiver(answer: (i: number, nth: number, req: ReceivedRequest) => LineAnswer, delayMs = 3): Promise<LineReceiver> {
  const receiver = await startReceiver();
  const receipts: number[] = [];
  const arrivals: number[] = [];
  const held = new Map<ServerResponse, number>();
  let open = 0;
  let maxOpen = 0;
  const reply = (res: ServerResponse, i: number, status: number) => {
    if (res.destroyed || res.writableEnded) return;
    if (status < 300) receipts.push(i);
    res.writeHead(status).end(status < 300 ? 'ok' : 'not now');
  };
  receiver.respondWith((req, res) => {
    const i = indexOf(req);
    arrivals.push(i);
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.once('close', () => {
      open--;
      held.delete(res);
    });
    const verdict = answer(i, arrivals.length, req);
    if (verdict === 'hold') held.set(res, i);
    else setTimeout(() => reply(res, i, verdict), delayMs);
  });
  return Object.assign(receiver, {
    receipts,
    arrivals,
    maxOpen: () => maxOpen,
    release(status = 200) {
      for (const [res, i] of [...held]) reply(res, i, status);
    },
  });
}

/** The receipts with back-to-back repeats (a delivery sent again after a lease takeover) folded. */
export function withoutRepeats(receipts: number[]): number[] {
  return receipts.filter((i, n) => n === 0 || receipts[n - 1] !== i);
}
