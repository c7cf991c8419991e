import { isTerminal, type TaskEvent } from './task-events.js';

/**
 * One task's events, delivered one at a time in order (ABI.md §9's serial
 * queue per task). Held until `release()`, so nothing reaches the plugin
 * before its `dispatch()` call has returned; closed after a terminal event.
 */
export class TaskEventQueue {
  private readonly pending: TaskEvent[] = [];
  private held = true;
  private delivering = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly deliver: (event: TaskEvent) => Promise<void>,
    /** Called once the terminal event has been delivered. */
    private readonly onClosed: () => void,
  ) {}

  /** Queues an event; false once the terminal event was queued. */
  push(event: TaskEvent): boolean {
    if (this.closed) return false;
    this.pending.push(event);
    if (isTerminal(event.name)) this.closed = true;
    void this.pump();
    return true;
  }

  release(): void {
    this.held = false;
    void this.pump();
  }

  /** Resolves once every event queued so far has been delivered (after the release). */
  idle(): Promise<void> {
    if (!this.delivering && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    if (this.held || this.delivering) return;
    this.delivering = true;
    for (let event = this.pending.shift(); event; event = this.pending.shift()) await this.deliver(event);
    this.delivering = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    if (this.closed) this.onClosed();
  }
}
