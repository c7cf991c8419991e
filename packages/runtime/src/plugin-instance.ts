import type { HostAbiLevel } from '@osr-host/abi-struct';
import type { CallOptions, CallOutcome } from './plugin.js';

/**
 * A loaded plugin, in this process (`NativePlugin`) or in a child process of
 * its own (`IsolatedPlugin`): both behave the same from the host's side.
 */
export interface PluginInstance {
  readonly id: string;
  readonly path: string;
  readonly hostLevel: HostAbiLevel;
  readonly manifestText: string;
  readonly abi: number;
  readonly supportsRoutes: boolean;
  readonly supportsConfigChanges: boolean;
  readonly supportsTaskEvents: boolean;
  readonly isShutDown: boolean;
  /** Whether the plugin runs in a child process of its own. */
  readonly isolated: boolean;
  stats(): { inFlight: number; abandoned: number };
  invoke(type: string, id: string, payload: string, options?: CallOptions): Promise<CallOutcome>;
  invokeTool(toolId: string, payload: string, options?: CallOptions): Promise<string>;
  handleRoute(requestJson: string, options?: CallOptions): Promise<CallOutcome>;
  configChanged(key: string, value: string | null, options?: CallOptions): Promise<boolean>;
  taskEvent(taskId: string, eventType: number, eventJson: string, options?: CallOptions): Promise<boolean>;
  shutdown(): Promise<void>;
}
