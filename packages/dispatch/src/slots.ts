import type { TaskCallContext, TaskManager } from './manager.js';

/**
 * The six dispatch slots in the runtime's HostApi shape, to spread into a
 * host table: `{ ...otherSlots, ...taskSlots(manager) }`. The reserved
 * `dispatch_clarify` and `dispatch_add_issue` are not among them.
 */
export function taskSlots(manager: TaskManager) {
  return {
    dispatch: (ctx: TaskCallContext, requestJson: string | null) => manager.dispatch(ctx, requestJson),
    task_status: (ctx: TaskCallContext, taskId: string | null) => manager.taskStatus(ctx, taskId),
    list_active_tasks: (ctx: TaskCallContext) => manager.listActiveTasks(ctx),
    dispatch_cancel: (ctx: TaskCallContext, taskId: string | null) => manager.dispatchCancel(ctx, taskId),
    send_draft: (ctx: TaskCallContext, taskId: string | null, draftJson: string | null) => manager.sendDraft(ctx, taskId, draftJson),
    dispatch_interrupt: (ctx: TaskCallContext, taskId: string | null, message: string | null) =>
      manager.dispatchInterrupt(ctx, taskId, message),
  };
}
