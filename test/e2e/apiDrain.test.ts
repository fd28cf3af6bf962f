// A stopping API answers what it was asked: a publish whose request is still arriving when the stop
// begins gets its result (a rolling restart loses nothing), and a new connection is refused.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/api/app.ts';
import { createCoreDeps } from '../../src/core/deps.ts';
import { testConfig } from '../support/env.ts';
import { startHarness } from '../support/harness.ts';
import { connectionRefused } from '../support/processes.ts';

it('finishes a publish in flight when it stops, then refuses new connections', async () => {
  const h = await startHarness();
  onTestFinished(() => h.close());
  const { key } = await h.createProject('Draining');
  // A second API process's worth of parts on the same database, to stop on its own.
  const deps = await createCoreDeps(testConfig(h.databaseName, `hookpost-drain-${randomBytes(3).toString('hex')}`));
  onTestFinished(() => deps.close());
  const app = buildApp(deps);
  const url = new URL(await app.listen(0, '127.0.0.1'));

  const body = JSON.stringify({ query: 'mutation { publishEvent(input: { type: "drain.tick", data: { n: 1 } }) { event { id } } }' });
  const socket = connect(Number(url.port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const half = Math.floor(body.length / 2);
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  await new Promise((r) => setTimeout(r, 200));

  // The stop begins while the request body is still arriving.
  const stopped = app.close();
  await new Promise((r) => setTimeout(r, 200));
  expect(await connectionRefused(Number(url.port))).toBe(true);
  socket.write(body.slice(half));
  await Promise.all([stopped, ended]);

  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  const eventId = /"id":"(evt_[0-9a-f]+)"/.exec(answer)?.[1];
  expect(eventId).toBeDefined();
  expect(await h.deps.db.event.count({ where: { id: eventId } })).toBe(1);
});
