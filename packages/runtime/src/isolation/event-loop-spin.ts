/**
 * Keeps this thread's event loop polling instead of sleeping, for a short while. A message that arrives
 * meanwhile costs a read, not the wake-up of a sleeping process, which on few or virtual cores is most of
 * a round trip (P183). The loop stays free: each turn is one `setImmediate`, so timers and I/O still run.
 */
let awakeUntil = 0;
let spinning = false;

function turn(): void {
  if (performance.now() < awakeUntil) setImmediate(turn);
  else spinning = false;
}

/** The loop polls without sleeping for at least the next `milliseconds`. */
export function keepEventLoopAwake(milliseconds: number): void {
  awakeUntil = Math.max(awakeUntil, performance.now() + milliseconds);
  if (spinning) return;
  spinning = true;
  setImmediate(turn);
}
