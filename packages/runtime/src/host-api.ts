import type { FrameKind, HostCallRecord } from '@osr-host/abi';

export type { FrameKind, HostCallRecord };

/** Who is calling: the plugin always (D3); the agent only from a frame that carries one. */
export interface HostCallContext {
  pluginId: string;
  /** The frame's agent. Null in frames without an agent and on threads that run no frame (D3). */
  agentId: string | null;
  /** The frame the calling thread is running; null for threads the plugin spawned itself. */
  frame: FrameKind | null;
}

type Answer<T> = T | Promise<T>;

/**
 * get_active_agent_id as the host defines it: the agent of the frame the calling thread runs, null
 * elsewhere (D3). Given as a host API's get_active_agent_id, the native bridge answers it on the
 * plugin's own thread, with no round trip through the event loop; any other function is called as usual.
 */
export const answerFrameAgent = (ctx: HostCallContext): string | null => ctx.agentId;

/**
 * The host side of every host-table slot except free_string (which the
 * native bridge serves itself). Arguments are the plugin's C strings; required
 * ones are never null here (HOST_API.md §0 is applied before the call). A slot
 * left out answers `not_supported` (JSON slots) or does nothing (void slots).
 */
export interface HostApi {
  config_get?(ctx: HostCallContext, key: string): Answer<string | null>;
  config_set?(ctx: HostCallContext, key: string, value: string): Answer<void>;
  config_delete?(ctx: HostCallContext, key: string): Answer<void>;
  db_exec?(ctx: HostCallContext, sql: string, paramsJson: string | null): Answer<string | null>;
  db_query?(ctx: HostCallContext, sql: string, paramsJson: string | null): Answer<string | null>;
  log?(ctx: HostCallContext, level: number, message: string): Answer<void>;
  dispatch?(ctx: HostCallContext, requestJson: string): Answer<string | null>;
  task_status?(ctx: HostCallContext, taskId: string): Answer<string | null>;
  dispatch_cancel?(ctx: HostCallContext, taskId: string): Answer<void>;
  dispatch_clarify?(ctx: HostCallContext, taskId: string, response: string): Answer<void>;
  complete?(ctx: HostCallContext, requestJson: string): Answer<string | null>;
  /** `onChunk` runs the plugin's on_chunk on the calling thread and resolves once it returned. */
  complete_stream?(
    ctx: HostCallContext,
    requestJson: string,
    onChunk: ((chunkJson: string) => Promise<void>) | null,
  ): Answer<string | null>;
  embed?(ctx: HostCallContext, requestJson: string): Answer<string | null>;
  list_models?(ctx: HostCallContext): Answer<string | null>;
  http_request?(ctx: HostCallContext, requestJson: string): Answer<string | null>;
  file_read?(ctx: HostCallContext, requestJson: string): Answer<string | null>;
  list_active_tasks?(ctx: HostCallContext): Answer<string | null>;
  send_draft?(ctx: HostCallContext, taskId: string, draftJson: string): Answer<void>;
  dispatch_interrupt?(ctx: HostCallContext, taskId: string, message: string | null): Answer<void>;
  dispatch_add_issue?(ctx: HostCallContext, taskId: string | null, issueJson: string | null): Answer<string | null>;
  complete_cancel?(ctx: HostCallContext, streamId: string): Answer<void>;
  get_active_agent_id?(ctx: HostCallContext): Answer<string | null>;
  log_structured?(ctx: HostCallContext, level: number, message: string, payload: string | null): Answer<void>;
}

