export interface RateLimitOptions {
  /** Bucket size, and the burst a fresh plugin may spend at once (default 100). */
  capacity?: number;
  /** Tokens added per second (default 100/60: "100 per minute"). */
  refillPerSecond?: number;
  /** Buckets untouched this long are dropped (default 300 s). */
  idleMs?: number;
  /** Clock in milliseconds; tests pass their own. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Upstream `PluginRateLimiter`: one token bucket per plugin id, shared by
 * every agent and by `none` and `verify` routes; buckets start full.
 */
export class PluginRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(options: RateLimitOptions = {}) {
    this.capacity = options.capacity ?? 100;
    this.refillPerMs = (options.refillPerSecond ?? 100 / 60) / 1000;
    this.idleMs = options.idleMs ?? 300_000;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Takes one token for `pluginId`; false when its bucket is empty. */
  tryAcquire(pluginId: string): boolean {
    const now = this.now();
    // Sweeping on use instead of on a timer keeps the limiter free of handles that hold the process open.
    if (now - this.lastSweep >= this.idleMs) this.sweep(now);
    const bucket = this.buckets.get(pluginId) ?? { tokens: this.capacity, updatedAt: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(pluginId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** How many plugins currently have a bucket. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [pluginId, bucket] of this.buckets) {
      if (now - bucket.updatedAt >= this.idleMs) this.buckets.delete(pluginId);
    }
  }
}
