// The durable floor: only the work Hookpost's guarantees require, with nothing of Hookpost in
// between. Each lane takes batches of deliveries and, per batch: one statement inserts the events and
// their deliveries (committed durably before anything is sent: a publish that was answered is never
// lost), the signed POSTs go out over one shared undici pool, and one statement logs the attempts
// (status, duration, headers, body) and marks the deliveries SUCCEEDED (an attempt is on record
// before its delivery counts as done). Tables: support/durableFloor.ts.
import pg from 'pg';
import { Pool } from 'undici';
import { serializeEnvelope } from '../../../src/core/delivery/request.ts';
import { generateWebhookSecret, signBranded, signStandard } from '../../../src/core/delivery/signing.ts';
import { newId } from '../../../src/core/ids.ts';
import { now } from '../support/clock.ts';
import { eventData } from '../support/fixtures.ts';
import { summarize } from '../support/stats.ts';
import { serveRequests } from './serve.ts';

const PROJECT_ID = 'prj_floor';
const WEBHOOK_ID = 'whk_floor';
const TYPE = 'bench.floor';

const INSERT_EVENTS_AND_DELIVERIES = `
WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS v(event_id, delivery_id, data)),
e AS (INSERT INTO events (id, project_id, type, data) SELECT event_id, $4, $5, data::json FROM v)
INSERT INTO deliveries (id, project_id, event_id, webhook_id) SELECT delivery_id, $4, event_id, $6 FROM v`;

const RECORD_ATTEMPTS = `
WITH v AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::int[], $5::jsonb[], $6::text[], $7::int[])
    AS v(attempt_id, delivery_id, request_headers, response_status, response_headers, response_body, duration_ms)),
a AS (
  INSERT INTO delivery_attempts (id, delivery_id, attempt_number, url, request_headers, response_status,
                                 response_headers, response_body, duration_ms, succeeded)
  SELECT attempt_id, delivery_id, 1, $8, request_headers, response_status, response_headers, response_body,
         duration_ms, response_status BETWEEN 200 AND 299 FROM v)
UPDATE deliveries d SET status = 'SUCCEEDED', attempt_count = 1, updated_at = now()
  FROM v WHERE d.id = v.delivery_id AND v.response_status BETWEEN 200 AND 299`;

interface Attempt {
  id: string;
  deliveryId: string;
  requestHeaders: string;
  status: number;
  responseHeaders: string;
  body: string;
  durationMs: number;
}

interface RunOptions {
  databaseUrl: string;
  url: string;
  tag: string;
  deliveries: number;
  warmUpDeliveries: number;
  lanes: number;
  batchSize: number;
  connections: number;
}

async function run(o: RunOptions) {
  const target = new URL(o.url);
  const http = new Pool(target.origin, { connections: o.connections, keepAliveTimeout: 60_000 });
  // One connection per lane; synchronous_commit is on by default, and said here so that no server
  // setting makes the floor cheaper than a durable commit.
  const lanes = await Promise.all(
    Array.from({ length: o.lanes }, async () => {
      const client = new pg.Client({ connectionString: o.databaseUrl, options: '-c synchronous_commit=on' });
      await client.connect();
      return client;
    }),
  );
  const secret = generateWebhookSecret();
  const insertMs: number[] = [];
  const recordMs: number[] = [];
  let seq = 0;
  let failed = 0;

  const send = async (eventId: string, deliveryId: string, dataJson: string): Promise<Attempt> => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = serializeEnvelope({ id: eventId, type: TYPE, timestamp: new Date(), projectId: PROJECT_ID, data: undefined, dataJson });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Hookpost-Webhooks/1.0',
      'webhook-id': eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandard(secret, eventId, timestamp, body),
      'X-Hookpost-Signature': signBranded(secret, body, 'sha256=hex'),
      'X-Hookpost-Event': TYPE,
      'X-Hookpost-Delivery': deliveryId,
    };
    const started = now();
    const res = await http.request({ path: target.pathname, method: 'POST', headers, body });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) failed++;
    return {
      id: newId('DeliveryAttempt'),
      deliveryId,
      requestHeaders: JSON.stringify(headers),
      status: res.statusCode,
      responseHeaders: JSON.stringify(res.headers),
      body: text,
      durationMs: Math.round(now() - started),
    };
  };

  const batch = async (db: pg.Client, size: number) => {
    const eventIds = Array.from({ length: size }, () => newId('Event'));
    const deliveryIds = Array.from({ length: size }, () => newId('Delivery'));
    const data = eventIds.map(() => JSON.stringify(eventData(o.tag, seq++)));
    let t = now();
    await db.query({ name: 'floor.insert', text: INSERT_EVENTS_AND_DELIVERIES, values: [eventIds, deliveryIds, data, PROJECT_ID, TYPE, WEBHOOK_ID] });
    insertMs.push(now() - t);
    const attempts = await Promise.all(eventIds.map((id, i) => send(id, deliveryIds[i], data[i])));
    t = now();
    const col = <T>(f: (a: Attempt) => T) => attempts.map(f);
    await db.query({
      name: 'floor.record',
      text: RECORD_ATTEMPTS,
      values: [
        col((a) => a.id),
        col((a) => a.deliveryId),
        col((a) => a.requestHeaders),
        col((a) => a.status),
        col((a) => a.responseHeaders),
        col((a) => a.body),
        col((a) => a.durationMs),
        o.url,
      ],
    });
    recordMs.push(now() - t);
  };

  /** `total` deliveries in batches, each lane taking the next batch as soon as its last is recorded. */
  const deliver = async (total: number) => {
    let next = 0;
    await Promise.all(
      lanes.map(async (db) => {
        while (next < total) {
          const size = Math.min(o.batchSize, total - next);
          next += size;
          await batch(db, size);
        }
      }),
    );
  };

  await deliver(o.warmUpDeliveries);
  insertMs.length = 0;
  recordMs.length = 0;
  const cpuBefore = process.cpuUsage();
  const started = now();
  await deliver(o.deliveries);
  const seconds = (now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  // The connections stay open until the process ends: a Postgres backend that exits takes its CPU
  // time out of /proc, and the parent reads Postgres's after this answer.
  return {
    delivered: o.deliveries,
    sent: seq,
    failed,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Math.round(o.deliveries / seconds),
    insertMs: summarize(insertMs),
    recordMs: summarize(recordMs),
    scriptCpuMsPerDelivery: Number(((cpu.user + cpu.system) / 1000 / o.deliveries).toFixed(3)),
  };
}

serveRequests({
  run: (msg) => run(msg as unknown as RunOptions),
});
