import { errorEnvelope } from '@osr-host/abi';
import type { ConfigStore } from '@osr-host/config-keychain';
import type { TaskManager } from '@osr-host/dispatch';
import type { InferenceHost } from '@osr-host/inference-stream';
import type { Net } from '@osr-host/net';
import { answerFrameAgent, type HostApi } from '@osr-host/runtime';
import type { PluginStorage } from '@osr-host/storage';

export interface HostApiServices {
  storage: PluginStorage;
  /** The config store, opened on first use (opening probes the keychain). */
  config: () => Promise<ConfigStore>;
  net: Net;
  /** Inference, which finds the calling plugin's manifest instructions and tools in the host's plugin directory. */
  inference: InferenceHost;
  /** Background tasks, started on first use. */
  tasks: () => TaskManager;
  /**
   * Shows a plugin log line on the console when nothing else does: once Insights records
   * the call, its store prints the line itself (escaped and rate-limited).
   */
  printPluginLog: (pluginId: string, level: number, message: string, payload: string | null) => void;
}

/**
 * The reference host's answer to every slot, built from the packages.
 * (`free_string` is served by the native bridge itself, and so is get_active_agent_id, on the plugin's thread.)
 */
export function buildHostApi(services: HostApiServices): HostApi {
  const { storage, net, inference, printPluginLog } = services;
  return {
    log: (ctx, level, message) => printPluginLog(ctx.pluginId, level, message, null),
    log_structured: (ctx, level, message, payload) => printPluginLog(ctx.pluginId, level, message, payload),
    get_active_agent_id: answerFrameAgent,

    config_get: async (ctx, key) => (await services.config()).configGet(ctx, key),
    config_set: async (ctx, key, value) => (await services.config()).configSet(ctx, key, value),
    config_delete: async (ctx, key) => (await services.config()).configDelete(ctx, key),

    db_exec: (ctx, sql, params) => storage.exec(ctx.pluginId, sql, params),
    db_query: (ctx, sql, params) => storage.query(ctx.pluginId, sql, params),

    http_request: (ctx, request) => net.httpRequest(ctx, request),
    file_read: (ctx, request) => net.fileRead(ctx, request),

    complete: (ctx, request) => inference.complete(ctx, request),
    complete_stream: (ctx, request, onChunk) => inference.completeStream(ctx, request, onChunk),
    complete_cancel: (ctx, streamId) => inference.completeCancel(ctx, streamId),
    embed: (ctx, request) => inference.embed(ctx, request),
    list_models: (ctx) => inference.listModels(ctx),

    dispatch: (ctx, request) => services.tasks().dispatch(ctx, request),
    task_status: (ctx, taskId) => services.tasks().taskStatus(ctx, taskId),
    list_active_tasks: (ctx) => services.tasks().listActiveTasks(ctx),
    dispatch_cancel: (ctx, taskId) => services.tasks().dispatchCancel(ctx, taskId),
    send_draft: (ctx, taskId, draft) => services.tasks().sendDraft(ctx, taskId, draft),
    dispatch_interrupt: (ctx, taskId, message) => services.tasks().dispatchInterrupt(ctx, taskId, message),

    // Reserved slots (HOST_API.md "Reserved slots"): clarify has no effect; add_issue answers not_supported.
    dispatch_clarify: () => undefined,
    dispatch_add_issue: () =>
      JSON.stringify(errorEnvelope('not_supported', 'dispatch_add_issue is no longer supported. Call dispatch() to start a fresh task.')),
  };
}
