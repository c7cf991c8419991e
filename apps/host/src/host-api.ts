import type { PluginStorage } from '@osr-host/storage';
import type { HostApi, HostCallContext } from '@osr-host/runtime';

/** HOST_API.md §4 level names. */
export const LOG_LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logLevelName(level: number): string {
  return LOG_LEVEL_NAMES[level] ?? 'LOG';
}

export interface HostApiServices {
  storage: PluginStorage;
  /** Where console lines go (stderr by default, so stdout stays the command's output). */
  writeConsole: (line: string) => void;
}

/**
 * The reference host's answer to every slot, built from the packages. Slots
 * not listed here answer the runtime's `not_supported` envelope until their
 * package is wired.
 */
export function buildHostApi(services: HostApiServices): HostApi {
  const consoleLine = (ctx: HostCallContext, level: number, text: string) =>
    services.writeConsole(`[Plugin:${ctx.pluginId}] [${logLevelName(level)}] ${text}`);
  return {
    log: (ctx, level, message) => consoleLine(ctx, level, message),
    log_structured: (ctx, level, message, payload) => consoleLine(ctx, level, payload === null ? message : `${message} ${payload}`),
    get_active_agent_id: (ctx) => ctx.agentId,
    db_exec: (ctx, sql, params) => services.storage.exec(ctx.pluginId, sql, params),
    db_query: (ctx, sql, params) => services.storage.query(ctx.pluginId, sql, params),
    // Reserved slots (HOST_API.md "Reserved slots"): clarify has no effect; add_issue answers not_supported.
    dispatch_clarify: () => undefined,
    dispatch_add_issue: () =>
      JSON.stringify({
        error: 'not_supported',
        message: 'dispatch_add_issue is no longer supported. Call dispatch() to start a fresh task.',
      }),
  };
}
