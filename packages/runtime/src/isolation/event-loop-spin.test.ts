import { describe, expect, it } from 'vitest';
import { keepEventLoopAwake } from './event-loop-spin.js';

const wait = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** How busy the event loop was over the next `milliseconds` (1: it never waited for I/O). */
async function utilizationOver(milliseconds: number): Promise<number> {
  const before = performance.eventLoopUtilization();
  await wait(milliseconds);
  return performance.eventLoopUtilization(before).utilization;
}

describe('keepEventLoopAwake', () => {
  it('keeps the loop polling for the window, with timers still running, then lets it sleep', async () => {
    expect(await utilizationOver(40)).toBeLessThan(0.5);
    keepEventLoopAwake(60);
    expect(process.getActiveResourcesInfo()).toContain('Immediate');
    // The timer inside utilizationOver fires on time although the loop never sleeps.
    expect(await utilizationOver(40)).toBeGreaterThan(0.5);
    await wait(40);
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate');
    expect(await utilizationOver(40)).toBeLessThan(0.5);
  });

  it('extends the window of a spin already running, with one turn at a time', async () => {
    keepEventLoopAwake(30);
    keepEventLoopAwake(90);
    keepEventLoopAwake(10);
    expect(process.getActiveResourcesInfo().filter((name) => name === 'Immediate')).toHaveLength(1);
    await wait(50);
    expect(process.getActiveResourcesInfo()).toContain('Immediate');
    await wait(70);
    expect(process.getActiveResourcesInfo()).not.toContain('Immediate');
  });
});
