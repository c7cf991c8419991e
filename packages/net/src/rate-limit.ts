import { isDefaultAgentId } from '@osr-host/abi';
/** Bucket shared by calls that carry no agent (none, or the built-in Default agent). */
export const ANONYMOUS_AGENT_BUCKET = 'ffffffff-ffff-ffff-ffff-fffffffffff0';

export interface RateLimiterOptions {
  /** Calls allowed per window; default 60. */
  limit?: number;
  /** Window length in milliseconds; default 60 000. */
  windowMs?: number;
  /** Clock in milliseconds; inject one to test without waiting. */
  now?: () => number;
}

/** A sliding-window rate limiter keyed by (plugin, agent), as `http_request` uses it. */
export class SlidingWindowRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly now: () => number;
  private readonly calls = new Map<string, number[]>();

  constructor(options: RateLimiterOptions = {}) {
    this.limit = options.limit ?? 60;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Records a call and returns true, or returns false when the bucket is full. */
  tryAcquire(pluginId: string, agentId: string | null): boolean {
    const agent = agentId === null || isDefaultAgentId(agentId) ? ANONYMOUS_AGENT_BUCKET : agentId;
    const key = `${pluginId}\u0000${agent.toUpperCase()}`;
    const now = this.now();
    const recent = (this.calls.get(key) ?? []).filter((at) => now - at < this.windowMs);
    if (recent.length >= this.limit) {
      this.calls.set(key, recent);
      return false;
    }
    recent.push(now);
    this.calls.set(key, recent);
    return true;
  }
}
