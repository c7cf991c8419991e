import type { PluginDirectory } from '@osr-host/abi';
import type { ConfigStore } from './config-store.js';
import { ConfigKeychainError } from './errors.js';
import { createOnceFilter, onceKey, type WarnFn } from './once.js';

/** One config change for a plugin: `[key, value]`. A deletion is delivered as `""`. */
export type ConfigChange = readonly [key: string, value: string];

/** What deliveries need of a loaded plugin; `PluginInstance` from `@osr-host/runtime` satisfies it. */
export interface ConfigTarget {
  /** The plugin's effective ABI version; v1 plugins never get deliveries. */
  readonly abi: number;
  /** Whether the plugin's `on_config_changed` slot is non-NULL. */
  readonly supportsConfigChanges: boolean;
  /** Calls `on_config_changed(key, value)` under an agent frame (`null` = no agent); false when the plugin could not take it. */
  configChanged(key: string, value: string, options: { agentId: string | null }): Promise<boolean>;
}

export interface DeliveryOptions {
  /** Deliver even values equal to the last delivered one (the cache is still updated). */
  force?: boolean;
}

export interface ConfigDeliveryOptions {
  /** The host's plugin directory (P171): deliveries go to `plugins.get(pluginId).instance`. */
  plugins: Pick<PluginDirectory<ConfigTarget>, 'get'>;
  /** Receives one-shot warnings about failed background deliveries. */
  warn: WarnFn;
}

interface PluginChannel {
  receives: boolean;
  /** Last value delivered per `"<agentId-or-'default'>|<key>"`. */
  lastDelivered: Map<string, string>;
  /** Tail of this plugin's delivery queue: deliveries run one after another. */
  tail: Promise<unknown>;
}

function agentSlot(agentId: string | null): string {
  return agentId === null ? 'default' : agentId.toUpperCase();
}

/**
 * Host-driven `on_config_changed` deliveries: serialised per plugin, deduplicated
 * per (agent, key) against the last delivered value, and never sent to v1 plugins
 * or plugins without a handler. A plugin's own `config_set` is never echoed; wire
 * `ConfigStore`'s `onPluginWrite` to `notePluginWrite` so the cache stays current.
 */
export class ConfigDelivery {
  readonly #directory: Pick<PluginDirectory<ConfigTarget>, 'get'>;
  readonly #warn: WarnFn;
  readonly #plugins = new Map<string, PluginChannel>();

  constructor(options: ConfigDeliveryOptions) {
    this.#directory = options.plugins;
    this.#warn = createOnceFilter(options.warn);
  }

  /** Registers a plugin once it is in the directory; one that is not there, or cannot take changes, is never delivered to. */
  attach(pluginId: string): void {
    const target = this.#directory.get(pluginId)?.instance;
    this.#plugins.set(pluginId, {
      receives: target !== undefined && target.abi >= 2 && target.supportsConfigChanges,
      lastDelivered: new Map(),
      tail: Promise.resolve(),
    });
  }

  /** Stops deliveries to a plugin being shut down: waits for queued ones, then forgets its cache. */
  async detach(pluginId: string): Promise<void> {
    const channel = this.#plugins.get(pluginId);
    if (!channel) return;
    this.#plugins.delete(pluginId);
    await channel.tail;
  }

  /** Async variant: queues the changes and returns at once; failures become a one-shot warning. */
  notify(pluginId: string, agentId: string | null, changes: readonly ConfigChange[], options: DeliveryOptions = {}): void {
    this.#enqueue(pluginId, agentId, changes, options).catch((error: ConfigKeychainError) => {
      this.#warn(onceKey(pluginId, 'on_config_changed', 'delivery_failed'), `${error.message} This warning is logged once per plugin per process.`);
    });
  }

  /**
   * Synchronous variant: resolves once the plugin has handled every change, with
   * the keys actually delivered (duplicates are skipped). Rejects with
   * `delivery_failed` if `deliver` fails; later changes of the batch are not sent.
   */
  notifyAndWait(
    pluginId: string,
    agentId: string | null,
    changes: readonly ConfigChange[],
    options: DeliveryOptions = {},
  ): Promise<string[]> {
    return this.#enqueue(pluginId, agentId, changes, options);
  }

  /** Records a value the plugin wrote (or deleted, `null`) itself, without delivering it back. */
  notePluginWrite(pluginId: string, agentId: string | null, key: string, value: string | null): void {
    const cache = this.#plugins.get(pluginId)?.lastDelivered;
    const slot = `${agentSlot(agentId)}|${key}`;
    if (value === null) cache?.delete(slot);
    else cache?.set(slot, value);
  }

  /** Resolves when every delivery queued so far for the plugin has finished. */
  async whenIdle(pluginId: string): Promise<void> {
    await this.#plugins.get(pluginId)?.tail;
  }

  /** One `on_config_changed` call; rejects when the plugin left the directory or did not take the change. */
  async #deliver(pluginId: string, agentId: string | null, key: string, value: string): Promise<void> {
    const target = this.#directory.get(pluginId)?.instance;
    if (!target || !(await target.configChanged(key, value, { agentId }))) {
      throw new Error(`plugin ${pluginId} did not take the change of ${key}`);
    }
  }

  #enqueue(
    pluginId: string,
    agentId: string | null,
    changes: readonly ConfigChange[],
    options: DeliveryOptions,
  ): Promise<string[]> {
    const channel = this.#plugins.get(pluginId);
    if (!channel?.receives) return Promise.resolve([]);
    const snapshot = [...changes];
    const run = channel.tail.then(() => this.#deliverBatch(pluginId, channel, agentId, snapshot, options.force ?? false));
    channel.tail = run.catch(() => undefined);
    return run;
  }

  async #deliverBatch(
    pluginId: string,
    channel: PluginChannel,
    agentId: string | null,
    changes: ConfigChange[],
    force: boolean,
  ): Promise<string[]> {
    const delivered: string[] = [];
    for (const [key, value] of changes) {
      const slot = `${agentSlot(agentId)}|${key}`;
      if (!force && channel.lastDelivered.get(slot) === value) continue;
      try {
        await this.#deliver(pluginId, agentId, key, value);
      } catch (cause) {
        throw new ConfigKeychainError(
          'delivery_failed',
          `Delivering config key "${key}" to plugin "${pluginId}" failed; the rest of the batch was not delivered.`,
          { cause },
        );
      }
      channel.lastDelivered.set(slot, value);
      delivered.push(key);
    }
    return delivered;
  }
}

/** A config field as declared in a plugin manifest, reduced to what a full push needs. */
export interface DeclaredConfigField {
  key: string;
  /** Manifest field type; `readonly` and `status` fields display values and get no default pushed. */
  type?: string;
  default?: boolean | number | string | readonly string[];
}

/**
 * Renders a manifest default as the string the plugin receives, as upstream does:
 * booleans `"true"`/`"false"`, numbers in Swift's Double form (`5` → `"5.0"`,
 * `0.00001` → `"1e-05"`), strings as-is, string arrays as compact JSON.
 */
export function renderConfigDefault(value: boolean | number | string | readonly string[]): string {
  if (typeof value === 'boolean' || typeof value === 'string') return String(value);
  if (typeof value === 'number') return swiftDoubleDescription(value);
  return JSON.stringify(value);
}

function swiftDoubleDescription(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  // Swift prints decimal notation from 1e-4 up to 2^53, exponential (two-digit exponent at least) outside.
  if (magnitude >= 1e-4 && magnitude < 2 ** 53) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/**
 * The full config push for (plugin, agent), in declaration order: each declared
 * field's stored value, else its rendered default. Stored values are what the
 * plugin would read (the agent's, else the Default agent's). This equals
 * upstream's composition (stored values, defaults and `connected_when` keys,
 * filtered to declared keys), since a `connected_when` key reaches the plugin
 * only when it is itself a declared field. `agentId` null (or the Default agent)
 * pushes the plugin-wide values; `fields` undefined (no config declared) pushes nothing.
 */
export async function composeFullPush(
  config: ConfigStore,
  pluginId: string,
  agentId: string | null,
  fields: readonly DeclaredConfigField[] | undefined,
): Promise<ConfigChange[]> {
  if (!fields) return [];
  const stored = await config.readResolved({ pluginId, agentId });
  const push = new Map<string, string>();
  for (const field of fields) {
    const displayOnly = field.type === 'readonly' || field.type === 'status';
    const fallback = field.default === undefined || displayOnly ? undefined : renderConfigDefault(field.default);
    const value = stored.get(field.key) ?? fallback;
    if (value !== undefined) push.set(field.key, value);
  }
  return [...push];
}
