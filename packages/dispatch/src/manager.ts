import { DEFAULT_AGENT_ID, type EnvelopeCode, errorEnvelope, type PluginDirectory, TASK_EVENT } from '@osr-host/abi';
import { type InferenceHost, type InferenceManifest, type PluginTools, pluginToolsOf, type ToolRunner } from '@osr-host/inference-stream';
import { SlidingWindowLimiter } from '@osr-host/net';
import type { HostDatabase } from '@osr-host/storage';
import { EventEmitter } from 'eventemitter3';
import { CLARIFY_TOOL, clarifyToolDefinition, definitionName } from './chat.js';
import { DispatchError } from './errors.js';
import { TaskEventQueue } from './event-queue.js';
import { mintTaskId, normalizeUuid } from './ids.js';
import { isRecord, sortedJson, tryParseJson } from './json.js';
import { SessionStore, type TaskRecord } from './session-store.js';
import { Task, type TaskEnvironment, type TaskStatus, type TaskTools } from './task.js';
import type { TaskEvent, TaskEventName } from './task-events.js';

/** Who is calling a dispatch slot: the plugin always, the frame's agent when there is one (D3). */
export interface TaskCallContext {
  pluginId: string;
  agentId: string | null;
}

/** What dispatch needs of a loaded plugin; `PluginInstance` from `@osr-host/runtime` satisfies it. */
export interface TaskTarget extends ToolRunner {
  /**
   * Runs the plugin's `on_task_event` under `agentId` and resolves once it
   * returned (or the plugin cannot take it). A rejection is warned about and
   * the task's later events still go out.
   */
  taskEvent(taskId: string, eventType: number, eventJson: string, options: { agentId: string | null }): Promise<unknown>;
}

/** Admission limits (HOST_API.md §6). */
export interface DispatchLimits {
  /** Dispatches per sliding window per (plugin, agent); default 10. */
  dispatchesPerWindow: number;
  /** Default 60 000 ms. */
  windowMs: number;
  /** Running tasks in the whole host (upstream's `maxConcurrentTasks`); default 20. More wait in the queue. */
  maxActiveTasks: number;
  /** Running tasks per agent; default 5. More wait in the queue. */
  maxActiveTasksPerAgent: number;
}

export const DEFAULT_DISPATCH_LIMITS: DispatchLimits = {
  dispatchesPerWindow: 10,
  windowMs: 60_000,
  maxActiveTasks: 20,
  maxActiveTasksPerAgent: 5,
};

/** Upstream's text for the default limit, "Dispatch rate limit (10/min) exceeded", with the configured numbers. */
function rateLimitMessage(limits: DispatchLimits): string {
  const window = limits.windowMs === 60_000 ? 'min' : `${limits.windowMs / 1000} s`;
  return `Dispatch rate limit (${limits.dispatchesPerWindow}/${window}) exceeded`;
}

/** How long finished tasks stay visible to `task_status` before they are finalized. */
export interface TaskRetention {
  /** Default 15 000 ms, as upstream. */
  cancelledMs: number;
  /** Completed and failed tasks; default 300 000 ms (upstream leaves this to its UI). */
  finishedMs: number;
}

export interface TaskManagerOptions {
  inference: InferenceHost;
  /** The host database, opened with `{ migrations: [dispatchMigrations] }`. */
  database: HostDatabase;
  /**
   * The host's plugin directory (P171). A task's events go to its plugin's
   * `on_task_event` (skipped when the plugin is not loaded); the plugin's own
   * manifest tools, run under the task's agent, and its manifest `instructions`
   * (appended to the task's system prompt) come from its manifest.
   */
  plugins: Pick<PluginDirectory<TaskTarget, InferenceManifest>, 'get'>;
  /** Host built-in tools, offered to every task. */
  hostTools?: PluginTools;
  /**
   * The agent's normal tool selection for a task of `pluginId`. Default: every
   * host tool and every tool of that plugin. Pinned `tools` are added on top.
   */
  agentToolNames?(agentId: string, pluginId: string): readonly string[];
  /** One-shot warning sink; `key` is `<plugin>|<op>|<reason>`. */
  warn(key: string, message: string): void;
  limits?: Partial<DispatchLimits>;
  retention?: Partial<TaskRetention>;
  /** The model tasks ask for; default `""` (the agent's model, else the host default). */
  model?: string;
  /** Largest prompt accepted, in UTF-8 bytes; default 4 MiB. */
  maxPromptBytes?: number;
  /** complete_stream rounds per run (a round ends at a clarify or an unknown tool); default 30. */
  maxRounds?: number;
  /** Milliseconds clock for the rate limiter; default `Date.now`. */
  now?: () => number;
}

/** A live task as the operator sees it. */
export interface TaskSnapshot {
  id: string;
  pluginId: string;
  agentId: string;
  title: string;
  status: TaskStatus;
  summary: string | null;
  /** The pending question while `awaiting_clarification`. */
  question: string | null;
  createdAt: Date;
}

export interface TaskManagerEventMap {
  /** Every task event, as it is queued for the plugin. */
  taskEvent: [event: TaskEvent];
  /** A task record was dropped; `task_status` now answers not_found. */
  taskFinalized: [task: { taskId: string; pluginId: string }];
}

/** A dispatch answer whose task events wait for `release()`. */
export interface HeldDispatch {
  response: string | null;
  /** Lets the task's events flow; call it once the answer is back with the plugin. Idempotent. */
  release(): void;
}

type TaskOp = 'dispatch_cancel' | 'send_draft' | 'dispatch_interrupt';

const ONCE_PER_OP = 'This warning is logged once per plugin per op per process.';
const DEFAULT_MAX_PROMPT_BYTES = 4 * 1024 * 1024;

const envelope = (code: EnvelopeCode, message: string) => sortedJson(errorEnvelope(code, message));

/**
 * Background agent tasks for native plugins (HOST_API.md §6, ABI.md §9):
 * the dispatch slots, task events, chat sessions in the host database, and
 * the operator's list / watch / cancel / answer.
 */
export class TaskManager {
  readonly events = new EventEmitter<TaskManagerEventMap>();
  private readonly options: TaskManagerOptions;
  private readonly limits: DispatchLimits;
  private readonly retention: TaskRetention;
  private readonly store: SessionStore;
  private readonly rateLimiter: SlidingWindowLimiter;
  private readonly tasks = new Map<string, Task>();
  /** Tasks waiting for a running slot, in the order they get one. */
  private readonly waiting: Task[] = [];
  /** Tasks whose run loop has begun at least once (STARTED went out). */
  private readonly started = new WeakSet<Task>();
  private admitting = false;
  private admitAgain = false;
  /** Queues still delivering, including those of finalized tasks. */
  private readonly queues = new Map<TaskEventQueue, string>();
  private readonly finalizers = new Map<Task, NodeJS.Timeout>();
  private readonly warned = new Set<string>();
  private readonly env: TaskEnvironment;

  constructor(options: TaskManagerOptions) {
    this.options = options;
    this.limits = { ...DEFAULT_DISPATCH_LIMITS, ...options.limits };
    this.retention = { cancelledMs: 15_000, finishedMs: 300_000, ...options.retention };
    for (const [name, value] of Object.entries({ ...this.limits, ...this.retention })) {
      if (!Number.isInteger(value) || value < 0) {
        throw new DispatchError('invalid_argument', `Dispatch option ${name} must be a non-negative integer; got ${value}.`);
      }
    }
    this.store = new SessionStore(options.database);
    this.store.closeOrphanedRuns();
    this.rateLimiter = new SlidingWindowLimiter(this.limits.dispatchesPerWindow, this.limits.windowMs, options.now ?? Date.now);
    this.env = {
      inference: options.inference,
      store: this.store,
      model: options.model ?? '',
      maxRounds: options.maxRounds ?? 30,
      emit: (task, name, payload) => this.emit(task, name, payload),
      statusChanged: (task) => this.statusChanged(task),
    };
  }

  /**
   * The `dispatch` slot. Task events are held until the macrotask after this
   * promise resolves: the runtime answers the plugin's thread in the
   * promise's continuation, so `dispatch()` has returned to the plugin first.
   * Hosts that answer later use `dispatchHeld` and release themselves.
   */
  async dispatch(ctx: TaskCallContext, requestJson: string | null): Promise<string | null> {
    const held = this.dispatchHeld(ctx, requestJson);
    setImmediate(held.release);
    return held.response;
  }

  /** `dispatch` without the automatic release: events wait for `release()`. */
  dispatchHeld(ctx: TaskCallContext, requestJson: string | null): HeldDispatch {
    const noEvents = { release: () => {} };
    if (requestJson === null) return { response: null, ...noEvents };
    const raw = tryParseJson(requestJson);
    if (!isRecord(raw) || typeof raw['prompt'] !== 'string') {
      return { response: envelope('invalid_request', 'Missing required field: prompt'), ...noEvents };
    }
    const prompt = raw['prompt'];
    if (prompt.trim() === '') return { response: envelope('invalid_request', 'Prompt is empty'), ...noEvents };
    const promptBytes = Buffer.byteLength(prompt);
    const maxPromptBytes = this.options.maxPromptBytes ?? DEFAULT_MAX_PROMPT_BYTES;
    if (promptBytes > maxPromptBytes) {
      return {
        response: envelope('invalid_request', `Prompt is too large (${promptBytes} bytes; the limit is ${maxPromptBytes}). Shorten it or split the work.`),
        ...noEvents,
      };
    }
    const requestedId = normalizeUuid(raw['id']);

    const agentId = this.auditAgentScope(ctx, raw);
    if (agentId === null) {
      const builtIn = ctx.agentId === null ? DEFAULT_AGENT_ID : ctx.agentId;
      return {
        response: envelope(
          'built_in_agent_not_exposable',
          `Built-in agent ${builtIn} is not reachable from plugin/planDispatch. Built-in agents (including the Default agent) are only available inside the Osaurus app.`,
        ),
        ...noEvents,
      };
    }

    const title = typeof raw['title'] === 'string' && raw['title'].trim() !== '' ? raw['title'].trim() : titleFromPrompt(prompt);
    const sessionKey = typeof raw['session_id'] === 'string' && raw['session_id'].trim() !== '' ? raw['session_id'].trim() : null;
    const plugin = this.options.plugins.get(ctx.pluginId);
    const pluginTools = pluginToolsOf(plugin, agentId);
    const pinned = this.pinnedTools(ctx.pluginId, raw['tools'], pluginTools);

    if (!this.rateLimiter.tryHit(`${ctx.pluginId}|${agentId}`)) {
      return { response: envelope('rate_limit_exceeded', rateLimitMessage(this.limits)), ...noEvents };
    }
    const id = this.sessionFor(ctx.pluginId, agentId, sessionKey, requestedId);
    const queue = new TaskEventQueue(
      (event) => this.deliver(event),
      () => this.queues.delete(queue),
    );
    this.queues.set(queue, ctx.pluginId);
    const previous = this.tasks.get(id);
    if (previous) this.finalize(previous);
    const task = new Task(this.env, {
      id,
      pluginId: ctx.pluginId,
      agentId,
      title,
      sessionKey,
      tools: this.taskTools(ctx.pluginId, agentId, pluginTools, pinned),
      instructions: plugin?.manifest.instructions,
      queue,
      run: this.store.startRun(id, ctx.pluginId, agentId, title),
    });
    this.tasks.set(id, task);
    this.store.append(id, [{ role: 'user', content: prompt }]);
    this.waiting.push(task);
    this.admit();
    // Queued or not, the plugin is told `running`, as upstream answers.
    return { response: sortedJson({ id, status: 'running' }), release: () => queue.release() };
  }

  /** The `task_status` slot. */
  async taskStatus(ctx: TaskCallContext, taskId: string | null): Promise<string | null> {
    if (taskId === null) return null;
    const id = normalizeUuid(taskId);
    if (id === null) return envelope('invalid_task_id', 'Invalid UUID format');
    const task = this.tasks.get(id);
    if (!task || task.pluginId !== ctx.pluginId) return envelope('not_found', 'Task not found');
    return sortedJson(task.statusObject());
  }

  /** The `list_active_tasks` slot: this plugin's queued and running tasks and those awaiting a clarification. */
  async listActiveTasks(ctx: TaskCallContext): Promise<string> {
    const mine = [...this.tasks.values()].filter((task) => task.pluginId === ctx.pluginId && task.active);
    return sortedJson({ tasks: mine.map((task) => task.statusObject()) });
  }

  /** The `dispatch_cancel` slot. */
  async dispatchCancel(ctx: TaskCallContext, taskId: string | null): Promise<void> {
    this.ownedTask(ctx, taskId, 'dispatch_cancel')?.cancel();
  }

  /** The `send_draft` slot: stores the raw text and emits DRAFT. */
  async sendDraft(ctx: TaskCallContext, taskId: string | null, draftJson: string | null): Promise<void> {
    if (draftJson === null) return;
    const task = this.ownedTask(ctx, taskId, 'send_draft');
    if (!task) return;
    if (!task.active) {
      this.warnUnowned(ctx.pluginId, 'send_draft', task.id);
      return;
    }
    task.setDraft(draftJson);
  }

  /** The `dispatch_interrupt` slot: the trimmed message becomes a user turn, then the stream stops. */
  async dispatchInterrupt(ctx: TaskCallContext, taskId: string | null, message: string | null): Promise<void> {
    this.ownedTask(ctx, taskId, 'dispatch_interrupt')?.interrupt(message);
  }

  /** Live tasks of this host process, oldest first (finished ones until they are finalized). */
  list(): TaskSnapshot[] {
    return [...this.tasks.values()]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((task) => ({
        id: task.id,
        pluginId: task.pluginId,
        agentId: task.agentId,
        title: task.title,
        status: task.status,
        summary: task.summary,
        question: task.clarification?.question ?? null,
        createdAt: task.createdAt,
      }));
  }

  /** Task runs recorded in the host database, newest first (any host process, including stopped ones). */
  history(limit = 50): TaskRecord[] {
    return this.store.recentRuns(limit);
  }

  /** One task's recorded run (any host process), or undefined. */
  historyOf(taskId: string): TaskRecord | undefined {
    const id = normalizeUuid(taskId);
    return id === null ? undefined : this.store.run(id);
  }

  /** Operator cancel; false when no active task has that id. */
  cancel(taskId: string): boolean {
    const id = normalizeUuid(taskId);
    return id !== null && (this.tasks.get(id)?.cancel() ?? false);
  }

  /** Answers a task's pending clarification; the same task and session continue. */
  answer(taskId: string, text: string): void {
    const task = this.tasks.get(normalizeUuid(taskId) ?? '');
    if (!task) throw new DispatchError('task_not_found', `No task ${taskId} is live in this host process; check \`osr-host tasks list\`.`);
    if (task.status !== 'awaiting_clarification') {
      throw new DispatchError('not_awaiting_clarification', `Task ${task.id} is ${task.status}, not waiting for an answer; nothing was sent.`);
    }
    if (text.trim() === '') throw new DispatchError('invalid_argument', 'Give a non-empty answer.');
    task.answer(text.trim());
  }

  /** Resolves once every event queued so far for `pluginId`'s tasks has been delivered. Call before unloading it. */
  async drainPluginEvents(pluginId: string): Promise<void> {
    await Promise.all([...this.queues].filter(([, owner]) => owner === pluginId).map(([queue]) => queue.idle()));
  }

  /**
   * Host shutdown: active tasks are cancelled (CANCELLED goes out, as when
   * upstream finalizes a still-active task), their runs stop, and every
   * queued event is delivered.
   */
  async close(): Promise<void> {
    for (const task of this.tasks.values()) task.cancel();
    await Promise.all([...this.tasks.values()].map((task) => task.loop));
    for (const task of [...this.tasks.values()]) task.queue.release();
    await Promise.all([...this.queues.keys()].map((queue) => queue.idle()));
    for (const timer of this.finalizers.values()) clearTimeout(timer);
    this.finalizers.clear();
    this.tasks.clear();
  }

  /** The frame's agent, or null when dispatch must refuse it (none, or the Default agent: D8). */
  private auditAgentScope(ctx: TaskCallContext, raw: Record<string, unknown>): string | null {
    for (const key of ['agent_id', 'agent_address']) {
      const value = raw[key];
      if (typeof value === 'string' && value.trim() !== '') {
        this.warnOnce(
          `${ctx.pluginId}|dispatch|agent_override`,
          `Plugin '${ctx.pluginId}' supplied an explicit agent identifier '${value}' to dispatch. The host ignores it and uses the agent of the calling context. ${ONCE_PER_OP}`,
        );
      }
    }
    if (ctx.agentId === null) {
      this.warnOnce(
        `${ctx.pluginId}|dispatch|no_agent_context`,
        `Plugin '${ctx.pluginId}' called dispatch from a thread with no resolvable agent context, so the call had no agent. Make host calls from the thread running invoke, handle_route, on_config_changed or on_task_event. ${ONCE_PER_OP}`,
      );
      return null;
    }
    const agentId = normalizeUuid(ctx.agentId) ?? ctx.agentId;
    return agentId === DEFAULT_AGENT_ID ? null : agentId;
  }

  /** Requested `tools`: strings trimmed, blanks and repeats dropped, names outside the allowed set dropped with a warning. */
  private pinnedTools(pluginId: string, requested: unknown, pluginTools: PluginTools | undefined): string[] {
    if (!Array.isArray(requested)) return [];
    const allowed = new Set([CLARIFY_TOOL, ...toolNames(this.options.hostTools), ...toolNames(pluginTools)]);
    const pinned: string[] = [];
    for (const entry of requested) {
      if (typeof entry !== 'string') continue;
      const name = entry.trim();
      if (name === '' || pinned.includes(name)) continue;
      if (!allowed.has(name)) {
        this.warnOnce(
          `${pluginId}|dispatch|tool_scope|${name}`,
          `Plugin '${pluginId}' requested tool '${name}' on dispatch but it is not in the allowed set (own manifest tools or host built-ins). The name was dropped; the rest of the dispatch proceeds. This warning is logged once per plugin per tool name per process.`,
        );
        continue;
      }
      pinned.push(name);
    }
    return pinned;
  }

  /** The agent's selection plus the pinned names; the plugin's own tool wins a name clash with a host tool. */
  private taskTools(pluginId: string, agentId: string, pluginTools: PluginTools | undefined, pinned: string[]): TaskTools {
    const sources = new Map<string, { definition: unknown; tools: PluginTools }>();
    for (const tools of [this.options.hostTools, pluginTools]) {
      for (const definition of tools?.definitions ?? []) {
        const name = definitionName(definition);
        if (tools && name !== undefined && name !== CLARIFY_TOOL) sources.set(name, { definition, tools });
      }
    }
    const selection = this.options.agentToolNames?.(agentId, pluginId) ?? [...sources.keys()];
    const names = [...new Set([...selection, ...pinned])].filter((name) => sources.has(name));
    const definitions = names.map((name) => sources.get(name)!.definition);
    return {
      offered: [...definitions, clarifyToolDefinition],
      executable: { definitions, invoke: (name, argumentsJson) => sources.get(name)!.tools.invoke(name, argumentsJson) },
      executableNames: new Set(names),
    };
  }

  /**
   * The task id, which is also its chat session id: an existing session of
   * this plugin and agent under `key` when no active task holds it, else a
   * new session (the requested id when it is free).
   */
  private sessionFor(pluginId: string, agentId: string, key: string | null, requestedId: string | null): string {
    if (key !== null) {
      const busy = [...this.tasks.values()].some((task) => task.active && task.pluginId === pluginId && task.sessionKey === key);
      const existing = busy ? undefined : this.store.findByKey(pluginId, agentId, key);
      if (existing) return existing;
    }
    const free = requestedId !== null && !this.tasks.has(requestedId) && !this.store.exists(requestedId);
    const id = free ? requestedId : mintTaskId();
    this.store.create(id, pluginId, agentId, key);
    return id;
  }

  /** A task of this plugin for a slot, or undefined after the one-shot warning. */
  private ownedTask(ctx: TaskCallContext, taskId: string | null, op: TaskOp): Task | undefined {
    if (taskId === null) return undefined;
    const id = normalizeUuid(taskId);
    if (id === null) {
      this.warnOnce(
        `${ctx.pluginId}|${op}|invalid`,
        `Plugin '${ctx.pluginId}' called ${op} with an invalid UUID '${taskId}'. The call was a no-op. ${ONCE_PER_OP}`,
      );
      return undefined;
    }
    const task = this.tasks.get(id);
    if (!task || task.pluginId !== ctx.pluginId) {
      this.warnUnowned(ctx.pluginId, op, taskId);
      return undefined;
    }
    return task;
  }

  private warnUnowned(pluginId: string, op: TaskOp, taskId: string): void {
    this.warnOnce(
      `${pluginId}|${op}|unowned`,
      `Plugin '${pluginId}' called ${op} for task '${taskId}' that does not belong to this plugin or is no longer active. The call was a no-op. ${ONCE_PER_OP}`,
    );
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.options.warn(key, message);
  }

  private emit(task: Task, name: TaskEventName, payload: Record<string, unknown>): void {
    const event: TaskEvent = {
      taskId: task.id,
      pluginId: task.pluginId,
      agentId: task.agentId,
      name,
      type: TASK_EVENT[name],
      payload,
      json: sortedJson(payload),
    };
    if (task.queue.push(event)) this.events.emit('taskEvent', event);
  }

  /** One delivery; never rejects, so one plugin's failing callback cannot stop its task's queue. */
  private async deliver(event: TaskEvent): Promise<void> {
    try {
      await this.options.plugins.get(event.pluginId)?.instance.taskEvent(event.taskId, event.type, event.json, { agentId: event.agentId });
    } catch (error) {
      this.warnOnce(
        `${event.pluginId}|on_task_event|failed`,
        `Delivering task event ${event.name} of task '${event.taskId}' to plugin '${event.pluginId}' failed: ${error instanceof Error ? error.message : String(error)}. Later events are still delivered. This warning is logged once per plugin per process.`,
      );
    }
  }

  /**
   * Starts waiting tasks, oldest first, while the global and per-agent
   * running limits allow. A task whose agent is full stays queued without
   * holding back the tasks of other agents behind it.
   */
  private admit(): void {
    // A task can finish inside start() (no rounds left), which admits again; one pass at a time.
    if (this.admitting) {
      this.admitAgain = true;
      return;
    }
    this.admitting = true;
    try {
      do {
        this.admitAgain = false;
        this.admitWaiting();
      } while (this.admitAgain);
    } finally {
      this.admitting = false;
    }
  }

  private admitWaiting(): void {
    const running = [...this.tasks.values()].filter((task) => task.status === 'running');
    const perAgent = new Map<string, number>();
    for (const task of running) perAgent.set(task.agentId, (perAgent.get(task.agentId) ?? 0) + 1);
    let total = running.length;
    for (const task of [...this.waiting]) {
      if (task.status !== 'queued') {
        this.waiting.splice(this.waiting.indexOf(task), 1);
        continue;
      }
      if (total >= this.limits.maxActiveTasks) return;
      if ((perAgent.get(task.agentId) ?? 0) >= this.limits.maxActiveTasksPerAgent) continue;
      this.waiting.splice(this.waiting.indexOf(task), 1);
      total += 1;
      perAgent.set(task.agentId, (perAgent.get(task.agentId) ?? 0) + 1);
      if (!this.started.has(task)) {
        this.started.add(task);
        this.emit(task, 'STARTED', { status: 'running', title: task.title });
      }
      task.start();
    }
  }

  private statusChanged(task: Task): void {
    this.store.updateRun(task.run, task.status, task.summary);
    if (task.status === 'running') return;
    // A clarification answer puts the task back in line, ahead of tasks that never ran.
    if (task.status === 'queued' && !this.waiting.includes(task)) this.waiting.unshift(task);
    this.admit();
    if (task.active) return;
    const delay = task.status === 'cancelled' ? this.retention.cancelledMs : this.retention.finishedMs;
    const timer = setTimeout(() => this.finalize(task), delay);
    timer.unref();
    this.finalizers.set(task, timer);
  }

  /** Drops the task record; a still-active task is cancelled first (CANCELLED is guaranteed). */
  private finalize(task: Task): void {
    clearTimeout(this.finalizers.get(task));
    this.finalizers.delete(task);
    task.cancel();
    if (this.tasks.get(task.id) !== task) return;
    this.tasks.delete(task.id);
    this.events.emit('taskFinalized', { taskId: task.id, pluginId: task.pluginId });
  }
}

function toolNames(tools: PluginTools | undefined): string[] {
  return (tools?.definitions ?? []).map(definitionName).filter((name): name is string => name !== undefined);
}

/** A task without a `title` is named after its prompt's first line. */
function titleFromPrompt(prompt: string): string {
  const line = prompt.trim().split('\n')[0]!.trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}
