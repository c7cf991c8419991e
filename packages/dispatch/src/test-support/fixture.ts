import { EventEmitter, once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePlugin, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import type { PluginEntry } from '@osr-host/abi';
import { createInferenceHost, type InferenceManifest } from '@osr-host/inference-stream';
import { type FakeOpenAIServer, type FakeOpenAIServerOptions, startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import { NativePlugin } from '@osr-host/runtime';
import { type HostDatabase, openHostDatabase } from '@osr-host/storage';
import { TaskManager, type TaskManagerOptions, type TaskTarget } from '../manager.js';
import { dispatchMigrations } from '../schema.js';
import { taskSlots } from '../slots.js';

export const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
export const OTHER_AGENT = '0B7D33B1-6E33-4E0B-8C57-5C1B7E9D2A10';
export const UPPER_UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'dispatch_plugin.c');
const scratch = mkdtempSync(join(tmpdir(), 'osr-dispatch-'));
let databases = 0;

/** A parsed JSON value; tests walk it freely. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary JSON.
export type Json = Record<string, any>;

/** One entry the fixture recorded: a delivered task event, or (type -1) a `call.dispatch` answer. */
export interface Recorded {
  task: string | null;
  type: number;
  json: string;
  agent: string | null;
}

export interface Delivered {
  pluginId: string;
  agentId: string;
  taskId: string;
  type: number;
  json: string;
}

/** The tools the harness's directory lists for a loaded fixture plugin. */
const fixtureManifest: InferenceManifest = { capabilities: { tools: [{ id: 'lookup', description: 'Look a word up', parameters: { type: 'object' } }] } };

function freshDatabasePath(): string {
  return join(scratch, `host-${++databases}.db`);
}

export function openDatabase(path: string): HostDatabase {
  return openHostDatabase(path, { migrations: [dispatchMigrations] });
}

/**
 * A host in miniature: the loopback model server, a TaskManager over a fresh
 * host database, and fixture plugins whose host table has the dispatch slots.
 */
export class Harness {
  readonly warnings: Array<{ key: string; message: string }> = [];
  readonly delivered: Delivered[] = [];
  readonly plugins = new Map<string, NativePlugin>();
  /** Plugins whose deliveries throw, standing in for a plugin that crashed. */
  readonly failingDeliveries = new Set<string>();
  private readonly deliveries = new EventEmitter();
  private readonly databasesOpen: HostDatabase[] = [];
  managers: TaskManager[] = [];

  private constructor(
    readonly server: FakeOpenAIServer,
    readonly databasePath: string,
  ) {}

  static async start(server: FakeOpenAIServerOptions = {}): Promise<Harness> {
    return new Harness(await startFakeOpenAIServer({ tokenDelayMs: 1, ...server }), freshDatabasePath());
  }

  /** A manager over this harness's database file (a second call is a restarted host). */
  manager(options: Partial<TaskManagerOptions> = {}): TaskManager {
    const database = openDatabase(this.databasePath);
    this.databasesOpen.push(database);
    const manager = new TaskManager({
      inference: createInferenceHost({
        providers: [{ name: 'local', baseURL: this.server.baseURL, models: ['fake-chat'] }],
        warn: (key, message) => this.warnings.push({ key, message }),
        idleTimeoutMs: 20_000,
      }),
      database,
      plugins: { get: (pluginId) => this.entry(pluginId) },
      warn: (key, message) => this.warnings.push({ key, message }),
      ...options,
    });
    this.managers.push(manager);
    return manager;
  }

  /**
   * The directory entry of any plugin id: every delivery is recorded (and reaches
   * the fixture when one is loaded under that id); only a loaded fixture lists tools.
   */
  private entry(pluginId: string): PluginEntry<TaskTarget, InferenceManifest> {
    const plugin = this.plugins.get(pluginId);
    const instance: TaskTarget = {
      taskEvent: async (taskId, type, json, { agentId }) => {
        if (this.failingDeliveries.has(pluginId)) throw new Error('plugin crashed');
        await plugin?.taskEvent(taskId, type, json, { agentId });
        this.delivered.push({ pluginId, agentId: agentId as string, taskId, type, json });
        this.deliveries.emit('delivered');
      },
      invokeTool: async (toolId, argumentsJson, options) => (plugin ? plugin.invokeTool(toolId, argumentsJson, options) : '{"ok":false}'),
    };
    return { id: pluginId, instance, manifest: plugin ? fixtureManifest : {}, directory: scratch };
  }

  /** Loads the C fixture as `pluginId`, its dispatch slots served by `manager`. */
  async load(manager: TaskManager, pluginId = 'dispatch.fixture'): Promise<NativePlugin> {
    const library = uniqueLibraryCopy(compilePlugin(fixture, { defines: { PLUGIN_ID: JSON.stringify(pluginId) } }), scratch);
    const plugin = await NativePlugin.load(library, {
      pluginId,
      hostApi: { ...taskSlots(manager), get_active_agent_id: (ctx) => ctx.agentId },
      timeouts: { delivery: 120_000 },
    });
    this.plugins.set(pluginId, plugin);
    return plugin;
  }

  /** Resolves once a delivered event matches (events already delivered count). */
  async waitForDelivery(match: (event: Delivered) => boolean): Promise<Delivered> {
    for (;;) {
      const found = this.delivered.find(match);
      if (found) return found;
      await once(this.deliveries, 'delivered');
    }
  }

  waitForEvent(taskId: string, type: number): Promise<Delivered> {
    return this.waitForDelivery((event) => event.taskId === taskId && event.type === type);
  }

  /** Resolves once the model server has received `count` chat requests. */
  async waitForRequests(count: number): Promise<void> {
    while (this.server.responses.length < count) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  async close(): Promise<void> {
    for (const manager of this.managers) await manager.close();
    for (const plugin of this.plugins.values()) await plugin.shutdown();
    for (const database of this.databasesOpen) database.$client.close();
    await this.server.close();
  }
}

/** Calls a fixture tool under `agentId`; returns the tool's `result`. */
export async function call(plugin: NativePlugin, tool: string, payload = '', agentId: string | null = AGENT): Promise<unknown> {
  const text = await plugin.invokeTool(tool, payload, { agentId });
  const envelope = JSON.parse(text) as { ok: boolean; result?: unknown };
  if (!envelope.ok) throw new Error(`fixture tool ${tool} failed: ${text}`);
  return envelope.result;
}

/** A dispatch slot answer from `call.<slot>`, parsed (null for NULL). */
export async function slot(plugin: NativePlugin, name: string, payload = '', agentId: string | null = AGENT): Promise<Json | null> {
  const result = await call(plugin, `call.${name}`, payload, agentId);
  return result === null ? null : (JSON.parse(result as string) as Json);
}

/** Dispatches from the plugin under `agentId` and returns the task id (asserting success). */
export async function dispatch(plugin: NativePlugin, request: Record<string, unknown>, agentId = AGENT): Promise<string> {
  const answer = await slot(plugin, 'dispatch', JSON.stringify(request), agentId);
  if (answer?.['status'] !== 'running') throw new Error(`dispatch failed: ${JSON.stringify(answer)}`);
  return answer['id'] as string;
}

/** What the fixture recorded, in order. */
export async function recorded(plugin: NativePlugin): Promise<Recorded[]> {
  return (await call(plugin, 'events')) as Recorded[];
}

/** The fixture's recorded events of one task as `[type, payload]`. */
export async function taskEvents(plugin: NativePlugin, taskId: string): Promise<Array<[number, Json]>> {
  return (await recorded(plugin)).filter((entry) => entry.task === taskId).map((entry) => [entry.type, JSON.parse(entry.json) as Json]);
}
