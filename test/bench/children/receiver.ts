// The webhook receiver: a plain node:http server on loopback, in its own process so that the load
// generator's CPU does not slow it down. It answers 200 at once, except under /slow/ (after
// SLOW_ANSWER_MS) and /hang/ (never), and reports each request's arrival to the parent in batches.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { now } from '../support/clock.ts';
import type { ArrivalRecord } from '../support/receiver.ts';
import { serveRequests } from './serve.ts';

const SLOW_ANSWER_MS = 10_000;
const FLUSH_MS = 20;

let pending: ArrivalRecord[] = [];
const held = new Set<ServerResponse>();
/** Once a phase let go of its slow and hanging endpoints, their later requests are dropped at once. */
let released = false;

function describe(path: string, headers: Record<string, string | string[] | undefined>, body: string, arrivedAt: number): ArrivalRecord {
  let data: { tag?: unknown; seq?: unknown; sentAt?: unknown } = {};
  try {
    data = (JSON.parse(body) as { data?: typeof data }).data ?? {};
  } catch {
    // Not one of ours: still counted, with no tag.
  }
  return {
    path,
    eventId: String(headers['webhook-id'] ?? ''),
    deliveryId: String(headers['x-hookpost-delivery'] ?? ''),
    tag: typeof data.tag === 'string' ? data.tag : '',
    seq: typeof data.seq === 'number' ? data.seq : -1,
    sentAt: typeof data.sentAt === 'number' ? data.sentAt : Number.NaN,
    arrivedAt,
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const arrivedAt = now();
    const path = req.url ?? '/';
    pending.push(describe(path, req.headers, Buffer.concat(chunks).toString('utf8'), arrivedAt));
    if (released && (path.startsWith('/hang/') || path.startsWith('/slow/'))) {
      res.destroy();
    } else if (path.startsWith('/hang/')) {
      held.add(res);
      res.on('close', () => held.delete(res));
    } else if (path.startsWith('/slow/')) {
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'), SLOW_ANSWER_MS);
      held.add(res);
      res.on('close', () => {
        clearTimeout(timer);
        held.delete(res);
      });
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    }
  });
});
server.keepAliveTimeout = 60_000;

setInterval(() => {
  if (pending.length === 0) return;
  process.send?.({ arrivals: pending });
  pending = [];
}, FLUSH_MS).unref();

serveRequests({
  /** Everything that arrived so far has been reported once this answers. */
  flush: () => {
    if (pending.length) process.send?.({ arrivals: pending });
    pending = [];
    return { ok: true };
  },
  /** Lets go of the requests still held, slow or never to be answered (a finished isolation phase). */
  release: () => {
    released = true;
    for (const res of held) res.destroy();
    return { released: true };
  },
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
