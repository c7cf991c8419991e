import { isDefaultAgentId } from '@osr-host/abi';
/** Bucket shared by calls that carry no agent (none, or the built-in Default agent). */
export const ANONYMOUS_AGENT_BUCKET = 'ffffffff-ffff-ffff-ffff-fffffffffff0';

/**
 * A sliding-window counter per key: at most `limit` hits in any `windowMs`.
 * A hit is recorded when the check passes, even if the work it guards fails
 * afterwards (upstream consumes the slot the same way).
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
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

export interface RateLimiterOptions {
  /** Calls allowed per window; default 60. */
  limit?: number;
  /** Window length in milliseconds; default 60 000. */
  windowMs?: number;
  /** Clock in milliseconds; inject one to test without waiting. */
  now?: () => number;
}

/** The sliding window keyed by (plugin, agent), as `http_request` uses it. */
export class SlidingWindowRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly window: SlidingWindowLimiter;

  constructor(options: RateLimiterOptions = {}) {
    this.limit = options.limit ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    this.window = new SlidingWindowLimiter(this.limit, this.windowMs, options.now);
  }

  /** Records a call and returns true, or returns false when the bucket is full. */
  tryAcquire(pluginId: string, agentId: string | null): boolean {
    const agent = agentId === null || isDefaultAgentId(agentId) ? ANONYMOUS_AGENT_BUCKET : agentId;
    return this.window.tryHit(`${pluginId}\u0000${agent.toUpperCase()}`);
  }
}
