export { CLARIFY_TOOL } from './chat.js';
export { runTasksCli, type TasksCliIo } from './cli.js';
export { DispatchError, type DispatchErrorCode } from './errors.js';
export {
  DEFAULT_DISPATCH_LIMITS,
  type DispatchLimits,
  type HeldDispatch,
  type TaskCallContext,
  TaskManager,
  type TaskManagerEventMap,
  type TaskManagerOptions,
  type TaskRetention,
  type TaskSnapshot,
  type TaskTarget,
} from './manager.js';
export { dispatchMigrations } from './schema.js';
export type { TaskRecord } from './session-store.js';
export { taskSlots } from './slots.js';
export { type ActivityItem, type TaskStatus, UNFINISHED_STATUSES } from './task.js';
export type { TaskEvent, TaskEventName } from './task-events.js';
