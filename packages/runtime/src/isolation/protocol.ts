import type { HostAbiLevel } from '@osr-host/abi-struct';
import type { FrameKind, HostCallRecord } from '../host-api.js';
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
  /** The parent passed a remote-call channel (REMOTE_CHANNEL_FD, REMOTE_WAKE_FD): serve invokes and routes on it. */
  remoteCalls?: boolean;
}

/** Where a plugin process finds the parent's remote-call channel: the stdio entry after the IPC channel. */
export const REMOTE_CHANNEL_FD = 4;
/** And the write end of the parent bridge's wake-up pipe, through which it answers. */
export const REMOTE_WAKE_FD = 5;

/**
 * The frame of a remote call. Parent → child `abandonFrame`: the parent stopped waiting for the call. Child → parent
 * event `remoteHostCallsReported`: every host call the call made was reported before this event.
 */
export interface RemoteFrame {
  frameId: number;
}

/** Parent → child `heldAnswer`: an answer too large for its channel slot; `maxBytes` 0 only frees it. */
export interface HeldAnswerRequest {
  handle: string;
  maxBytes: number;
}

export interface HeldAnswer {
  text: string | null;
  tooLarge: boolean;
}

export interface LoadResponse {
  manifestText: string;
  abi: number;
  supportsRoutes: boolean;
  supportsConfigChanges: boolean;
  supportsTaskEvents: boolean;
  /** The plugin serves the parent's invokes (and routes) on the remote-call channel. */
  remoteCalls: boolean;
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

/**
 * Child → parent: a host-call record as the `hostCall` event carries it, by position and without the plugin id
 * (the parent knows it). A plugin can make a fast host call every few hundred nanoseconds, and as an object with
 * its keys each record cost the two processes about twice as much to send and read.
 */
export type HostCallWire = [
  agentId: string | null,
  frame: FrameKind | null,
  slot: HostCallRecord['slot'],
  status: number,
  startedAtMs: number,
  durationMs: number,
  args: (string | null)[],
  intArg: number,
  response: string | null,
  requestBytes: number,
  responseBytes: number,
];

export function hostCallToWire(record: HostCallRecord): HostCallWire {
  const { agentId, frame, slot, status, startedAt, durationMs, args, intArg, response, requestBytes, responseBytes } = record;
  return [agentId, frame, slot, status, startedAt.getTime(), durationMs, args, intArg, response, requestBytes, responseBytes];
}

export function hostCallFromWire(wire: HostCallWire, pluginId: string): HostCallRecord {
  const [agentId, frame, slot, status, startedAtMs, durationMs, args, intArg, response, requestBytes, responseBytes] = wire;
  return { pluginId, agentId, frame, slot, status, startedAt: new Date(startedAtMs), durationMs, args, intArg, response, requestBytes, responseBytes };
}

/** The parent's answer to a config_get with `offersKeep`. */
export interface KeptConfigAnswer {
  answer: unknown;
  kept: boolean;
}
