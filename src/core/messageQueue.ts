/** What a queue does with each message it is offered: keep it, drop it, or decide later (in order). */
export type Keep<T> = (message: T) => boolean | Promise<boolean>;

export interface MessageQueueOptions<T> {
  keep?: Keep<T>;
  /** Messages waiting for a consumer that has fallen behind; one more ends the stream with `overflow()`. */
  limit: number;
  overflow: () => unknown;
}

interface Entry<T> {
  message: T;
  verdict?: Promise<boolean>;
}

/**
 * A live stream's messages as an async iterator, fed by `push` from a pub/sub callback. It replaces
 * a chain of Repeaters (pub/sub, filter, revocation) that cost a dozen promises per message per
 * subscriber: here a message that passes a synchronous filter costs one array slot, and one
 * promise when the consumer is waiting for it. Messages whose verdict is asynchronous keep their
 * place: the consumer waits for that verdict before it sees anything later.
 */
export class MessageQueue<T> implements AsyncIterableIterator<T> {
  #entries: Entry<T>[] = [];
  #head = 0;
  #closed = false;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;
  #signal: Promise<void> | undefined;
  #onClose: (() => void)[] = [];

  constructor(private readonly options: MessageQueueOptions<T>) {}

  /** Offers a message; one the filter rejects, or any after the queue closed, is dropped. */
  push(message: T): void {
    if (this.#closed) return;
    const verdict = this.options.keep ? this.options.keep(message) : true;
    if (verdict === false) return;
    if (this.#entries.length - this.#head >= this.options.limit) {
      this.fail(this.options.overflow());
      return;
    }
    // A verdict that fails reaches the consumer through next(); one the consumer never gets to (it
    // left first) must not be an unhandled rejection.
    if (verdict !== true) verdict.catch(() => undefined);
    this.#entries.push(verdict === true ? { message } : { message, verdict });
    this.#notify();
  }

  /** Ends the stream at once with `error`: messages still waiting are dropped, not delivered. */
  fail(error: unknown): void {
    if (this.#closed) return;
    this.#failure = { error };
    this.#close();
  }

  /** Runs `cleanup` when the stream ends, however it ends (consumer gone, failure). */
  onClose(cleanup: () => void): void {
    if (this.#closed) cleanup();
    else this.#onClose.push(cleanup);
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.#failure) {
        const { error } = this.#failure;
        this.#failure = undefined;
        throw error;
      }
      const entry = this.#take();
      if (entry) {
        if (!entry.verdict || (await entry.verdict)) return { value: entry.message, done: false };
        continue;
      }
      if (this.#closed) return { value: undefined, done: true };
      this.#signal ??= new Promise<void>((resolve) => (this.#wake = resolve));
      await this.#signal;
    }
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.#close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<T, undefined>> {
    this.#close();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #take(): Entry<T> | undefined {
    if (this.#head >= this.#entries.length) return undefined;
    const entry = this.#entries[this.#head++];
    // Drop the consumed prefix now and then rather than shifting the array on every message.
    if (this.#head >= 1024 && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = this.#signal = undefined;
    wake?.();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#entries = [];
    this.#head = 0;
    for (const cleanup of this.#onClose.splice(0)) cleanup();
    this.#notify();
  }
}
