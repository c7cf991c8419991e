import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENT_ID } from '@osr-host/abi';
import { SlidingWindowLimiter, SlidingWindowRateLimiter } from './index.js';

function limiterAt(start = 1_000_000) {
  const clock = { now: start };
  return { clock, limiter: new SlidingWindowRateLimiter({ now: () => clock.now }) };
}

describe('SlidingWindowRateLimiter', () => {
  it('allows 60 calls per (plugin, agent) and refuses the 61st', () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 60; i++) expect(limiter.tryAcquire('p', 'AGENT-1')).toBe(true);
    expect(limiter.tryAcquire('p', 'AGENT-1')).toBe(false);
    expect(limiter.tryAcquire('p', 'AGENT-2')).toBe(true);
    expect(limiter.tryAcquire('q', 'AGENT-1')).toBe(true);
  });

  it('slides: a slot frees exactly 60 s after the call that used it', () => {
    const { clock, limiter } = limiterAt();
    expect(limiter.tryAcquire('p', 'A')).toBe(true);
    clock.now += 30_000;
    for (let i = 0; i < 59; i++) expect(limiter.tryAcquire('p', 'A')).toBe(true);
    clock.now += 29_999;
    expect(limiter.tryAcquire('p', 'A')).toBe(false);
    clock.now += 1;
    expect(limiter.tryAcquire('p', 'A')).toBe(true);
    expect(limiter.tryAcquire('p', 'A')).toBe(false);
  });

  it('puts anonymous calls and the Default agent in one shared bucket', () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 30; i++) expect(limiter.tryAcquire('p', null)).toBe(true);
    for (let i = 0; i < 30; i++) expect(limiter.tryAcquire('p', DEFAULT_AGENT_ID.toLowerCase())).toBe(true);
    expect(limiter.tryAcquire('p', null)).toBe(false);
    expect(limiter.tryAcquire('p', 'REAL-AGENT')).toBe(true);
  });

  it('honours a custom limit and window', () => {
    const { clock } = limiterAt();
    const limiter = new SlidingWindowRateLimiter({ limit: 2, windowMs: 10, now: () => clock.now });
    expect([limiter.tryAcquire('p', null), limiter.tryAcquire('p', null), limiter.tryAcquire('p', null)]).toEqual([true, true, false]);
    clock.now += 10;
    expect(limiter.tryAcquire('p', null)).toBe(true);
  });
});

describe('SlidingWindowLimiter', () => {
  it('counts hits per key and frees a slot once its oldest hit leaves the window', () => {
    const clock = { now: 0 };
    const limiter = new SlidingWindowLimiter(2, 100, () => clock.now);
    expect(limiter.tryHit('a')).toBe(true);
    clock.now = 50;
    expect([limiter.tryHit('a'), limiter.tryHit('a'), limiter.tryHit('b')]).toEqual([true, false, true]);
    clock.now = 100;
    expect([limiter.tryHit('a'), limiter.tryHit('a')]).toEqual([true, false]);
  });
});
