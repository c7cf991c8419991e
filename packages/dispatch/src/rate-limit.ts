/**
 * A sliding-window counter per key: at most `limit` hits in any `windowMs`.
 * A hit is recorded when the check passes (upstream consumes the slot even
 * if the dispatch fails afterwards).
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Records a hit for `key` and returns true, or returns false when the window is full. */
  tryHit(key: string): boolean {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    return true;
  }
}
