import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.ts';
import { createLogger } from '../../src/core/logger.ts';

function capture(env: Record<string, string>, isTTY: boolean): () => string {
  const destination = new PassThrough();
  let text = '';
  destination.on('data', (chunk) => (text += chunk));
  const logger = createLogger(loadConfig(env), { isTTY, destination });
  logger.info({ deliveryId: 'dlv_1', attempt: 2 }, 'delivery attempt failed');
  logger.warn('second line');
  return () => text;
}

describe('logs', () => {
  it('are one readable line per entry on a development terminal', async () => {
    const text = capture({ NODE_ENV: 'development' }, true);
    await new Promise((r) => setImmediate(r));
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: delivery attempt failed \{"deliveryId":"dlv_1","attempt":2\}$/);
    expect(lines[1]).toMatch(/WARN: second line$/);
  });

  it.each([
    ['production on a terminal', { NODE_ENV: 'production', HOOKPOST_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') }, true],
    ['development into a pipe', { NODE_ENV: 'development' }, false],
  ])('are pino JSON in %s', async (_title, env, isTTY) => {
    const text = capture(env, isTTY);
    await new Promise((r) => setImmediate(r));
    const lines = text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 30, msg: 'delivery attempt failed', deliveryId: 'dlv_1', attempt: 2, service: 'hookpost' });
    expect(lines[1]).toMatchObject({ level: 40, msg: 'second line' });
  });
});
