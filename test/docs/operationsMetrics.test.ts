// docs/operations.md's metrics table against the metrics a process registers: a metric added,
// renamed or removed without the page following fails here.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { createMetrics } from '../../src/core/metrics.ts';

it("docs/operations.md lists exactly Hookpost's own metrics, each with its type", async () => {
  const registry = new Registry();
  createMetrics({ registry, processMetrics: false });
  const registered = (await registry.getMetricsAsJSON()).map((m) => `${m.name} ${m.type}`).sort();
  const page = await readFile(path.resolve(import.meta.dirname, '../../docs/operations.md'), 'utf8');
  const documented = [...page.matchAll(/^\| `(hookpost_[a-z_]+)` \| ([a-z]+) \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
  expect(documented).toEqual(registered);
});
