import { TASK_EVENT } from '@osr-host/abi-struct';
import { describe, expect, it } from 'vitest';
import { TaskEventType } from './task-events.js';

describe('TaskEventType', () => {
  // Kept here so this pure-JS package does not load the native ABI layer; it must not drift from the ABI.
  it('has exactly the ABI’s on_task_event types (ABI.md §9)', () => {
    expect(TaskEventType).toEqual(TASK_EVENT);
  });
});
