import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_AGENT_ID, isUuid } from '@osr-host/abi';
import { ConfigKeychainError, describeCause } from './errors.js';
import { createOnceFilter, onceKey, type WarnFn } from './once.js';
import type { SecretStore } from './secret-store.js';

/** Largest config value a plugin may store: 1 MiB of UTF-8. */
export const configValueMaxBytes = 1024 * 1024;

/** Largest config key: 1 KiB of UTF-8. Keys are names; a longer one is refused (and never stored). */
export const configKeyMaxBytes = 1024;

/** What one plugin may keep in the secret store, keys and values of every agent together: 8 MiB of UTF-8. */
export const configPluginQuotaBytes = 8 * 1024 * 1024;

/** Service-name prefix in the secret store; the service of a plugin is `<prefix>:<pluginId>`. */
export const defaultServicePrefix = 'osr-host';

/** The frame a plugin's config call runs in. `agentId: null` means the call has no agent. */
export interface ConfigContext {
  pluginId: string;
  agentId: string | null;
  /**
   * Told by `configGet` when its answer is what the store holds for this agent and key, not a
   * fallback after a refusal or a failure: a caller may then keep the answer until the change marker
   * (`ConfigStoreOptions.changeMarkerPath`) moves.
   */
  keepAnswer?: () => void;
}

/** A host-side config scope. An absent or null `agentId` (or the Default agent's id) is the plugin-wide namespace. */
export interface ConfigScope {
  pluginId: string;
  agentId?: string | null;
}

/** Told about every successful write a plugin makes itself (value `null` = deleted), e.g. to keep `ConfigDelivery`'s dedup cache current. */
export type PluginWriteListener = (pluginId: string, agentId: string, key: string, value: string | null) => void;

export interface ConfigStoreOptions {
  secrets: SecretStore;
  /** Receives the one-shot warnings (`<plugin>|<op>|<reason>`); each key is passed on once per store. */
  warn: WarnFn;
  servicePrefix?: string;
  onPluginWrite?: PluginWriteListener;
  /**
   * A file whose 8 bytes this store rewrites with random ones after every write it makes (plugin or
   * host-side), creating it if needed. Caches of config answers, in this process or another one
   * sharing the file, compare it to know their answers are still current.
   */
  changeMarkerPath?: string;
}

/** Host-minted UUIDs are upper-case; frames and CLI flags may carry either case. */
function canonicalAgentId(agentId: string): string | undefined {
  return isUuid(agentId) ? agentId.toUpperCase() : undefined;
}

/** The agent a plugin frame may use for config, or undefined for "no agent" (null, Default agent, not a UUID). */
function frameAgent(ctx: ConfigContext): string | undefined {
  if (ctx.agentId === null) return undefined;
  const agentId = canonicalAgentId(ctx.agentId);
  return agentId === DEFAULT_AGENT_ID ? undefined : agentId;
}

function checkPluginId(pluginId: string): void {
  if (typeof pluginId !== 'string' || pluginId === '' || pluginId.includes('\0')) {
    throw new ConfigKeychainError('invalid_argument', 'A plugin id must be a non-empty string without NUL characters.');
  }
}

/** Why a config key cannot be stored, or null when it can. */
function keyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.includes('\0')) return 'A config key must be a string without NUL characters.';
  const bytes = Buffer.byteLength(key, 'utf8');
  return bytes > configKeyMaxBytes ? `A config key is ${bytes} bytes; keys are capped at ${configKeyMaxBytes} bytes.` : null;
}

function checkKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new ConfigKeychainError('invalid_argument', problem);
}

function scopeAgent(scope: ConfigScope): string {
  checkPluginId(scope.pluginId);
  if (scope.agentId === undefined || scope.agentId === null) return DEFAULT_AGENT_ID;
  const agentId = canonicalAgentId(scope.agentId);
  if (!agentId) {
    // The rejected text is not echoed: a misplaced argument could be a secret.
    throw new ConfigKeychainError(
      'invalid_argument',
      "The agent id is not a UUID: pass an agent's UUID, or null for the plugin-wide (Default agent) namespace.",
    );
  }
  return agentId;
}

/**
 * Plugin config scoped by (plugin, agent, key) on a `SecretStore`.
 *
 * Naming: service `<servicePrefix>:<pluginId>`, account `<AGENT-UUID>.<pluginId>.<key>`
 * (upstream's legacy account form). The per-plugin service keeps accounts
 * unambiguous although plugin ids and keys may contain dots.
 */
export class ConfigStore {
  readonly #secrets: SecretStore;
  readonly #warn: WarnFn;
  readonly #servicePrefix: string;
  readonly #onPluginWrite: PluginWriteListener | undefined;
  readonly #changeMarkerPath: string | undefined;

  constructor(options: ConfigStoreOptions) {
    this.#secrets = options.secrets;
    this.#changeMarkerPath = options.changeMarkerPath;
    this.#warn = createOnceFilter(options.warn);
    this.#servicePrefix = options.servicePrefix ?? defaultServicePrefix;
    this.#onPluginWrite = options.onPluginWrite;
  }

  /** The secret-store service that holds `pluginId`'s config. */
  serviceFor(pluginId: string): string {
    return `${this.#servicePrefix}:${pluginId}`;
  }

  // ---- host API slots: never throw for plugin input; problems become one-shot warnings ----

  /** `config_get`: the agent's value, else the Default agent's; NULL without an agent. */
  async configGet(ctx: ConfigContext, key: string | null): Promise<string | null> {
    if (key === null) return null;
    if (this.#refusesKey(ctx.pluginId, 'config_get', key)) return null;
    const agentId = frameAgent(ctx);
    if (!agentId) {
      this.#warnNoAgent(ctx.pluginId, 'config_get', 'It returned NULL');
      return null;
    }
    try {
      const value = await this.resolve({ pluginId: ctx.pluginId, agentId }, key);
      ctx.keepAnswer?.();
      return value;
    } catch (error) {
      this.#warnStoreFailed(ctx.pluginId, 'config_get', error);
      return null;
    }
  }

  /** `config_set`: stores for the frame's agent. Oversized values and agent-less frames are dropped with a warning. */
  async configSet(ctx: ConfigContext, key: string | null, value: string | null): Promise<void> {
    if (key === null || value === null) return;
    if (this.#refusesKey(ctx.pluginId, 'config_set', key)) return;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > configValueMaxBytes) {
      this.#warn(
        onceKey(ctx.pluginId, 'config_set', 'too_large', key),
        `Plugin "${ctx.pluginId}" called config_set('${key}', ...) with a ${bytes}-byte value, exceeding the 1 MiB config-value cap. The write was dropped. This warning is logged once per plugin per key per process.`,
      );
      return;
    }
    const agentId = frameAgent(ctx);
    if (!agentId) {
      this.#warnNoAgent(ctx.pluginId, 'config_set', 'The write was dropped');
      return;
    }
    try {
      await this.set({ pluginId: ctx.pluginId, agentId }, key, value);
    } catch (error) {
      if (error instanceof ConfigKeychainError && error.code === 'quota_exceeded') {
        this.#warn(onceKey(ctx.pluginId, 'config_set', 'over_quota'), `${error.message} The write was dropped. This warning is logged once per plugin per process.`);
      } else this.#warnStoreFailed(ctx.pluginId, 'config_set', error);
      return;
    }
    this.#onPluginWrite?.(ctx.pluginId, agentId, key, value);
  }

  /** `config_delete`: deletes the frame agent's value (the Default agent's value stays). */
  async configDelete(ctx: ConfigContext, key: string | null): Promise<void> {
    if (key === null) return;
    if (this.#refusesKey(ctx.pluginId, 'config_delete', key)) return;
    const agentId = frameAgent(ctx);
    if (!agentId) {
      this.#warnNoAgent(ctx.pluginId, 'config_delete', 'Nothing was deleted');
      return;
    }
    try {
      await this.delete({ pluginId: ctx.pluginId, agentId }, key);
    } catch (error) {
      this.#warnStoreFailed(ctx.pluginId, 'config_delete', error);
      return;
    }
    this.#onPluginWrite?.(ctx.pluginId, agentId, key, null);
  }

  // ---- host-side operations (UI, CLI): throw ConfigKeychainError on bad input or store failure ----

  /** The value stored exactly in this scope (no Default-agent fallback). */
  async get(scope: ConfigScope, key: string): Promise<string | null> {
    const agentId = scopeAgent(scope);
    checkKey(key);
    return this.#secrets.getPassword(this.serviceFor(scope.pluginId), this.#account(scope.pluginId, agentId, key));
  }

  /** What the plugin sees in this scope: the agent's value, else the Default agent's. */
  async resolve(scope: ConfigScope, key: string): Promise<string | null> {
    const own = await this.get(scope, key);
    if (own !== null || scopeAgent(scope) === DEFAULT_AGENT_ID) return own;
    return this.get({ pluginId: scope.pluginId }, key);
  }

  /** Stores a value in this scope; values over 1 MiB are refused. */
  async set(scope: ConfigScope, key: string, value: string): Promise<void> {
    const agentId = scopeAgent(scope);
    checkKey(key);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > configValueMaxBytes) {
      throw new ConfigKeychainError(
        'invalid_argument',
        `The value for config key "${key}" is ${bytes} bytes; config values are capped at 1 MiB (${configValueMaxBytes} bytes).`,
      );
    }
    const service = this.serviceFor(scope.pluginId);
    const account = this.#account(scope.pluginId, agentId, key);
    let used = Buffer.byteLength(account, 'utf8') + bytes;
    for (const stored of await this.#secrets.findCredentials(service)) {
      if (stored.account !== account) used += Buffer.byteLength(stored.account, 'utf8') + Buffer.byteLength(stored.password, 'utf8');
    }
    if (used > configPluginQuotaBytes) {
      throw new ConfigKeychainError(
        'quota_exceeded',
        `Storing config key "${key}" would take plugin "${scope.pluginId}" to ${used} bytes of config, over its quota of ${configPluginQuotaBytes} bytes; delete keys it no longer needs.`,
      );
    }
    await this.#changing(() => this.#secrets.setPassword(service, account, value));
  }

  /** Deletes the value in this scope; `true` if there was one. */
  async delete(scope: ConfigScope, key: string): Promise<boolean> {
    const agentId = scopeAgent(scope);
    checkKey(key);
    return this.#changing(() => this.#secrets.deletePassword(this.serviceFor(scope.pluginId), this.#account(scope.pluginId, agentId, key)));
  }

  /** Every key stored exactly in this scope, sorted. */
  async listKeys(scope: ConfigScope): Promise<string[]> {
    return [...(await this.readAll(scope)).keys()].sort();
  }

  /** Every (key, value) stored exactly in this scope. */
  async readAll(scope: ConfigScope): Promise<Map<string, string>> {
    const agentId = scopeAgent(scope);
    const prefix = this.#account(scope.pluginId, agentId, '');
    const entries = new Map<string, string>();
    for (const { account, password } of await this.#secrets.findCredentials(this.serviceFor(scope.pluginId))) {
      if (account.startsWith(prefix)) entries.set(account.slice(prefix.length), password);
    }
    return entries;
  }

  /** Every (key, value) the plugin sees in this scope: the Default agent's values overlaid by the agent's. */
  async readResolved(scope: ConfigScope): Promise<Map<string, string>> {
    const agentId = scopeAgent(scope);
    const own = await this.readAll(scope);
    if (agentId === DEFAULT_AGENT_ID) return own;
    return new Map([...(await this.readAll({ pluginId: scope.pluginId })), ...own]);
  }

  /** Deletes every value of a plugin, for every agent (e.g. on uninstall). Returns how many were deleted. */
  async deleteAllForPlugin(pluginId: string): Promise<number> {
    checkPluginId(pluginId);
    const service = this.serviceFor(pluginId);
    let deleted = 0;
    for (const { account } of await this.#secrets.findCredentials(service)) {
      if (await this.#changing(() => this.#secrets.deletePassword(service, account))) deleted += 1;
    }
    return deleted;
  }

  /**
   * Deletes an agent's values in each of `pluginIds` (a keychain cannot list
   * services, so the host names its plugins). Returns how many were deleted.
   */
  async deleteAllForAgent(agentId: string, pluginIds: Iterable<string>): Promise<number> {
    let deleted = 0;
    for (const pluginId of pluginIds) {
      const scope = { pluginId, agentId };
      for (const key of (await this.readAll(scope)).keys()) {
        if (await this.delete(scope, key)) deleted += 1;
      }
    }
    return deleted;
  }

  /** Runs a write, then moves the change marker, also when the write failed part-way. */
  async #changing<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.#moveChangeMarker();
    }
  }

  #moveChangeMarker(): void {
    const path = this.#changeMarkerPath;
    if (path === undefined) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      // Rewritten in place, never replaced or truncated: a reader never sees it short or missing.
      const writer = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600);
      try {
        writeSync(writer, randomBytes(8), 0, 8, 0);
      } finally {
        closeSync(writer);
      }
    } catch (cause) {
      throw new ConfigKeychainError(
        'secret_store_failed',
        `The config was written, but its change marker ${path} could not be: ${describeCause(cause)} Config answers a running host keeps may be stale until its plugins reload; check that the file is writable.`,
        { cause },
      );
    }
  }

  #account(pluginId: string, agentId: string, key: string): string {
    return `${agentId}.${pluginId}.${key}`;
  }

  #warnNoAgent(pluginId: string, op: string, outcome: string): void {
    this.#warn(
      onceKey(pluginId, op, 'no_agent_context'),
      `Plugin "${pluginId}" called ${op} with no agent context (no agent, or the built-in Default agent). ${outcome}. Config is per agent: call it from an invoke, route or config frame that carries an agent. This warning is logged once per plugin per op per process.`,
    );
  }

  /** True (after a one-shot warning) for a key the slot ignores: one with a NUL character, or over the key cap. */
  #refusesKey(pluginId: string, op: string, key: string): boolean {
    const problem = keyProblem(key);
    if (problem === null) return false;
    this.#warn(
      onceKey(pluginId, op, 'invalid_key'),
      `Plugin "${pluginId}" called ${op} with a key it cannot use: ${problem} The call was ignored. This warning is logged once per plugin per op per process.`,
    );
    return true;
  }

  #warnStoreFailed(pluginId: string, op: string, error: unknown): void {
    this.#warn(
      onceKey(pluginId, op, 'store_failed'),
      `Plugin "${pluginId}" called ${op} but the secret store failed: ${describeCause(error)} This warning is logged once per plugin per op per process.`,
    );
  }
}
