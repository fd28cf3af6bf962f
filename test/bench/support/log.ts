const started = Date.now();

export type Progress = (msg: string) => void;

/** Progress lines, stamped with the time since the bench started, so a long run shows it is alive. */
export function progressFor(scope: string): Progress {
  return (msg) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(7);
    process.stdout.write(`[${seconds}s] ${scope.padEnd(11)} ${msg}\n`);
  };
}
