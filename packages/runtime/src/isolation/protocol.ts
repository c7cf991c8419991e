import type { HostAbiLevel } from '@osr-host/abi-struct';
import type { PluginTimeouts } from '../plugin.js';

/** Parent → child: load the plugin. */
export interface LoadRequest {
  path: string;
  pluginId: string;
  level: HostAbiLevel;
  timeouts: PluginTimeouts;
  maxStringBytes?: number;
  /** Host slots the parent implements; the rest answer not_supported in the child. */
  hostSlots: string[];
  /** The parent's get_active_agent_id is `answerFrameAgent`: the child's bridge answers it on the plugin's thread. */
  answerFromFrame: boolean;
  /** The parent's `configChangeMarker`: the child's bridge keeps config_get answers the parent lets it keep. */
  configChangeMarker?: string;
}

export interface LoadResponse {
  manifestText: string;
  abi: number;
  supportsRoutes: boolean;
  supportsConfigChanges: boolean;
  supportsTaskEvents: boolean;
}

/** Child → parent: one host call, after the child runtime applied the NULL and frame rules. */
export interface HostCallRequest {
  slot: string;
  ctx: { pluginId: string; agentId: string | null; frame: string | null };
  args: unknown[];
  /** complete_stream: non-zero when the plugin passed on_chunk; chunks go back as `chunk` requests. */
  chunkToken?: number;
  /** config_get with a cache in the child: the parent answers `KeptConfigAnswer`, saying whether the answer may be kept. */
  offersKeep?: boolean;
}

/** The parent's answer to a config_get with `offersKeep`. */
export interface KeptConfigAnswer {
  answer: unknown;
  kept: boolean;
}
