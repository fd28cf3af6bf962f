// The child side of the bench's IPC: answers `{ id, cmd, ... }` requests with `{ id, reply }`.

type Handler = (msg: Record<string, any>) => unknown;

export function serveRequests(handlers: Record<string, Handler>): void {
  process.on('message', async (msg: Record<string, any>) => {
    if (!msg || typeof msg.id !== 'number') return;
    const handler = handlers[msg.cmd];
    const reply = handler ? await handler(msg) : { error: `unknown command ${msg.cmd}` };
    process.send?.({ id: msg.id, reply });
  });
  // A helper never outlives the bench: when the parent goes, so does it.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
