import type { TaskEventName } from '@osr-host/abi';

export type { TaskEventName };

/** One task event as the host emits it: `json` is exactly what `on_task_event` receives. */
export interface TaskEvent {
  taskId: string;
  pluginId: string;
  agentId: string;
  name: TaskEventName;
  type: number;
  payload: Record<string, unknown>;
  json: string;
}

/** After one of these the task's event queue is discarded. */
export function isTerminal(name: TaskEventName): boolean {
  return name === 'COMPLETED' || name === 'FAILED' || name === 'CANCELLED';
}

/** `2026-05-08T17:42:01Z`: ISO-8601 with second precision, as ACTIVITY timestamps are. */
export function activityTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
