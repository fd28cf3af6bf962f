// The raw ceiling: what this machine does with no Hookpost in between. A plain undici loop with as
// many concurrent requests as a worker has slots signs (as src/core/delivery/signing.ts does) and
// POSTs bodies shaped like the worker's to the same receiver, and counts the answered requests.
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { generateWebhookSecret, signBranded, signStandard } from '../../../src/core/delivery/signing.ts';
import { now } from '../support/clock.ts';
import { eventData } from '../support/fixtures.ts';
import { serveRequests } from './serve.ts';

async function run(url: string, tag: string, concurrency: number, durationMs: number) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency, keepAliveTimeout: 60_000 });
  const secret = generateWebhookSecret();
  const warmupEnds = now() + Math.min(1000, durationMs / 5);
  const ends = warmupEnds + durationMs;
  let answered = 0;
  let failed = 0;
  let seq = 0;
  const send = async () => {
    const id = `evt_${randomBytes(16).toString('hex')}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id,
      type: 'bench.raw',
      timestamp: new Date().toISOString(),
      project_id: 'prj_bench',
      data: eventData(tag, seq++),
    });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Hookpost-Webhooks/1.0',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandard(secret, id, timestamp, body),
      'X-Hookpost-Signature': signBranded(secret, body, 'sha256=hex'),
      'X-Hookpost-Event': 'bench.raw',
      'X-Hookpost-Delivery': `dlv_${randomBytes(16).toString('hex')}`,
    };
    const res = await pool.request({ path: target.pathname, method: 'POST', headers, body });
    await res.body.text();
    return res.statusCode >= 200 && res.statusCode < 300;
  };
  let windowStart = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let t = now(); t < ends; t = now()) {
        const ok = await send().catch(() => false);
        if (t < warmupEnds) continue;
        windowStart ||= t;
        if (ok) answered++;
        else failed++;
      }
    }),
  );
  const seconds = (now() - windowStart) / 1000;
  await pool.close();
  return { answered, failed, seconds, perSecond: answered / seconds };
}

serveRequests({
  run: (msg) => run(msg.url, msg.tag, msg.concurrency, msg.durationMs),
});
