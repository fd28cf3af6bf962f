import { describe, expect, it } from 'vitest';
import { MessageQueue } from '../../src/core/messageQueue.ts';

const overflow = () => new Error('overflow');

async function take<T>(queue: MessageQueue<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await queue.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('MessageQueue', () => {
  it('hands messages over in order, to a consumer that waits as to one that comes later', async () => {
    const queue = new MessageQueue<number>({ limit: 5000, overflow });
    const waiting = queue.next();
    queue.push(1);
    expect(await waiting).toEqual({ value: 1, done: false });
    for (let i = 2; i <= 3000; i++) queue.push(i);
    const rest = await take(queue, 2999);
    expect(rest).toHaveLength(2999);
    expect(rest.every((v, i) => v === i + 2)).toBe(true);
  });

  it('drops what the filter rejects, and keeps the order of messages whose verdict comes later', async () => {
    let release!: (v: boolean) => void;
    const slow = new Promise<boolean>((resolve) => (release = resolve));
    const queue = new MessageQueue<number>({
      limit: 100,
      overflow,
      keep: (n) => (n === 2 ? slow : n % 3 !== 0),
    });
    for (const n of [1, 2, 3, 4, 5, 6]) queue.push(n);
    const first = await queue.next();
    const second = queue.next();
    release(true);
    expect([first.value, (await second).value, ...(await take(queue, 2))]).toEqual([1, 2, 4, 5]);
  });

  it('hands a failed verdict to the consumer, and lets one go quietly when the consumer has left', async () => {
    const queue = new MessageQueue<number>({ limit: 100, overflow, keep: () => Promise.reject(new Error('no database')) });
    queue.push(1);
    await expect(queue.next()).rejects.toThrow('no database');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let refuse!: (err: Error) => void;
      const left = new MessageQueue<number>({ limit: 100, overflow, keep: () => new Promise<boolean>((_resolve, reject) => (refuse = reject)) });
      left.push(1);
      expect(await left.return()).toEqual({ value: undefined, done: true });
      // The verdict fails after the consumer has left: nobody will ever read it.
      refuse(new Error('no database'));
      // Node reports a rejection nobody handled once the microtasks have run, before the next turn of the loop.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(await left.next()).toEqual({ value: undefined, done: true });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('skips a message whose late verdict is no', async () => {
    const queue = new MessageQueue<number>({ limit: 100, overflow, keep: (n) => Promise.resolve(n !== 1) });
    queue.push(1);
    queue.push(2);
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it('ends with the overflow error when the consumer falls a whole backlog behind, and cleans up once', async () => {
    let cleanups = 0;
    const queue = new MessageQueue<number>({ limit: 3, overflow });
    queue.onClose(() => cleanups++);
    for (let i = 0; i < 4; i++) queue.push(i);
    await expect(queue.next()).rejects.toThrow('overflow');
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    queue.push(9);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(cleanups).toBe(1);
  });

  it('fails a waiting consumer at once, dropping the messages not yet read', async () => {
    const queue = new MessageQueue<number>({ limit: 100, overflow });
    queue.push(1);
    queue.push(2);
    expect((await queue.next()).value).toBe(1);
    queue.fail(new Error('revoked'));
    await expect(queue.next()).rejects.toThrow('revoked');
    const waiting = new MessageQueue<number>({ limit: 100, overflow });
    const pending = waiting.next();
    waiting.fail(new Error('expired'));
    await expect(pending).rejects.toThrow('expired');
  });

  it('ends a waiting consumer when returned, and runs cleanups registered even after the end', async () => {
    const queue = new MessageQueue<number>({ limit: 100, overflow });
    const pending = queue.next();
    const cleaned: string[] = [];
    queue.onClose(() => cleaned.push('before'));
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    queue.onClose(() => cleaned.push('after'));
    expect(cleaned).toEqual(['before', 'after']);
  });
});
