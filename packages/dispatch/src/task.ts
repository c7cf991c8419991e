import type { InferenceContext, InferenceHost, PluginTools } from '@osr-host/inference-stream';
import {
  CLARIFY_TOOL,
  type ChatMessage,
  RoundTranscript,
  type ToolCallMessage,
  toolFailure,
  withToolResults,
} from './chat.js';
import type { TaskEventQueue } from './event-queue.js';
import { isRecord, sortedJson, tryParseJson } from './json.js';
import type { SessionStore } from './session-store.js';
import { activityTimestamp, type TaskEventName } from './task-events.js';

/**
 * Where a task is; `queued`, `running` and `awaiting_clarification` count as
 * active, and only `running` holds one of the limited slots.
 */
export type TaskStatus = 'queued' | 'running' | 'awaiting_clarification' | 'completed' | 'failed' | 'cancelled';

/** The statuses of a task that has not ended: it waits for a slot, runs, or waits for an answer. */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = ['queued', 'running', 'awaiting_clarification'];

/** One entry of a task's activity feed (`task_status` shows the last 20). */
export interface ActivityItem {
  kind: string;
  title: string;
  timestamp: string;
  detail?: string;
}

export interface Clarification {
  toolCallId: string;
  question: string;
  options?: string[];
  allowMultiple: boolean;
}

/** The tools a task offers the model, and how the host runs them. */
export interface TaskTools {
  /** Definitions sent to the model (clarify included). */
  offered: unknown[];
  /** The tools the host runs itself (clarify excluded: it pauses the task instead). */
  executable: PluginTools;
  executableNames: ReadonlySet<string>;
}

/** What a task needs from its manager. */
export interface TaskEnvironment {
  inference: InferenceHost;
  store: SessionStore;
  model: string;
  /** Model rounds per run before the task fails (each round is one complete_stream tool loop). */
  maxRounds: number;
  emit(task: Task, name: TaskEventName, payload: Record<string, unknown>): void;
  statusChanged(task: Task): void;
}

export interface TaskOptions {
  id: string;
  pluginId: string;
  agentId: string;
  title: string;
  sessionKey: string | null;
  tools: TaskTools;
  instructions: string | undefined;
  queue: TaskEventQueue;
  run: number;
}

const ACTIVITY_FEED_LENGTH = 20;

/**
 * One background task: a chat session the agent works through in rounds of
 * `complete_stream` (each round is inference-stream's tool loop), pausing on
 * `clarify` and stopping on cancel or interrupt.
 */
export class Task {
  readonly id: string;
  readonly pluginId: string;
  readonly agentId: string;
  readonly title: string;
  readonly sessionKey: string | null;
  readonly queue: TaskEventQueue;
  readonly run: number;
  readonly createdAt = new Date();
  status: TaskStatus = 'queued';
  summary: string | null = null;
  output: string | null = null;
  draft: string | null = null;
  currentStep: string | null = null;
  clarification: Clarification | null = null;
  readonly activity: ActivityItem[] = [];
  /** Settles when the current run loop has stopped (resolved at once while paused). */
  loop: Promise<void> = Promise.resolve();
  private readonly tools: TaskTools;
  private readonly context: InferenceContext;
  private stopReason: 'cancel' | 'interrupt' | null = null;
  private looping = false;
  private rounds = 0;
  private streamId: string | null = null;
  private pendingUserTurns: ChatMessage[] = [];
  /** The tool calls of the current batch (clarify excluded) and how many have returned. */
  private batch: string[] = [];
  private batchDone = 0;

  constructor(
    private readonly env: TaskEnvironment,
    options: TaskOptions,
  ) {
    this.id = options.id;
    this.pluginId = options.pluginId;
    this.agentId = options.agentId;
    this.title = options.title;
    this.sessionKey = options.sessionKey;
    this.queue = options.queue;
    this.run = options.run;
    this.tools = options.tools;
    // Keyed by task, so background work neither counts against the plugin's own
    // inference cap nor can be cancelled through the plugin's complete_cancel.
    this.context = {
      pluginId: `${options.pluginId}/task/${options.id}`,
      agentId: options.agentId,
      tools: options.tools.executable,
      ...(options.instructions ? { instructions: options.instructions } : {}),
    };
  }

  get active(): boolean {
    return UNFINISHED_STATUSES.includes(this.status);
  }

  /** Starts a queued task's run loop: first on admission, again after a clarification answer. */
  start(): void {
    if (this.status !== 'queued') return;
    this.setStatus('running', null);
    this.looping = true;
    this.loop = this.runLoop().finally(() => {
      this.looping = false;
    });
  }

  /** Stops the run and emits CANCELLED at once; the round in flight is abandoned. */
  cancel(): boolean {
    if (!this.active) return false;
    this.stopReason = 'cancel';
    this.clarification = null;
    this.setStatus('cancelled', null);
    this.env.emit(this, 'CANCELLED', { title: this.title });
    this.stopStream();
    return true;
  }

  /** Appends `message` (if any) as a user turn, then stops the stream; the task completes. */
  interrupt(message: string | null): void {
    if (!this.active) return;
    const text = message?.trim();
    if (text) this.pendingUserTurns.push({ role: 'user', content: text });
    this.stopReason = 'interrupt';
    if (this.looping) this.stopStream();
    else this.stopped();
  }

  /**
   * The user's reply to the pending clarification: the session continues with
   * it once the task gets a slot again (it gave its slot up while waiting).
   */
  answer(text: string): void {
    const pending = this.clarification;
    if (!pending || this.status !== 'awaiting_clarification') return;
    this.clarification = null;
    this.env.store.append(this.id, [
      { role: 'tool', tool_call_id: pending.toolCallId, content: sortedJson({ ok: true, result: { answer: text } }) },
    ]);
    this.setStatus('queued', null);
  }

  setDraft(draftJson: string): void {
    this.draft = draftJson;
    this.env.emit(this, 'DRAFT', { title: this.title, ...this.parsedDraft() });
  }

  /** The `task_status` object (HOST_API.md §6). */
  statusObject(): Record<string, unknown> {
    const common = {
      id: this.id,
      title: this.title,
      ...this.parsedDraft(),
      ...(this.output !== null ? { output: this.output } : {}),
    };
    if (this.status === 'queued') return { ...common, status: 'queued', current_step: 'Queued' };
    if (this.active) {
      return {
        ...common,
        status: 'running',
        ...(this.currentStep !== null ? { current_step: this.currentStep } : {}),
        ...(this.activity.length > 0 ? { activity: this.activity.slice(-ACTIVITY_FEED_LENGTH) } : {}),
      };
    }
    if (this.status === 'cancelled') return { ...common, status: 'cancelled' };
    return { ...common, status: this.status, success: this.status === 'completed', summary: this.summary, session_id: this.id };
  }

  /** The draft as parsed JSON, when the stored text is a JSON object. */
  private parsedDraft(): { draft?: Record<string, unknown> } {
    const parsed = this.draft === null ? undefined : tryParseJson(this.draft);
    return isRecord(parsed) ? { draft: parsed } : {};
  }

  private async runLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.stopReason) return this.stopped();
        if (this.rounds >= this.env.maxRounds) {
          return this.finish(false, `Reached max iterations (${this.env.maxRounds}) without a final response`);
        }
        this.rounds += 1;
        const outcome = await this.round();
        if (this.stopReason) return this.stopped();
        if (outcome.kind === 'error') return this.finish(false, outcome.message);
        if (outcome.kind === 'final') return this.finish(true, 'Chat completed');
        if (await this.runHandedBack(outcome.calls)) return;
      }
    } catch (error) {
      if (this.active) this.finish(false, `The task failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** One complete_stream call over the session so far; its messages are saved as they were streamed. */
  private async round(): Promise<
    { kind: 'final' } | { kind: 'error'; message: string } | { kind: 'handed_back'; calls: ToolCallMessage[] }
  > {
    const streamId = `${this.id}/${this.rounds}`;
    const transcript = new RoundTranscript({
      onText: (text) => {
        this.output = text;
        this.env.emit(this, 'OUTPUT', { text, title: this.title });
      },
      onToolCalls: (calls) => this.noteToolCalls(calls),
      onToolResult: () => this.noteToolResult(),
    });
    const request = {
      model: this.env.model,
      messages: withToolResults(this.env.store.messages(this.id)),
      tools: this.tools.offered,
      stream_id: streamId,
    };
    this.streamId = streamId;
    let response: string | null;
    try {
      response = await this.env.inference.completeStream(this.context, JSON.stringify(request), async (chunk) => transcript.absorb(chunk));
    } finally {
      this.streamId = null;
      this.currentStep = null;
      this.env.store.append(this.id, [...transcript.messages, ...this.pendingUserTurns.splice(0)]);
    }
    const envelope = tryParseJson(response ?? '');
    if (!isRecord(envelope)) return { kind: 'error', message: 'The inference host gave no answer.' };
    if (typeof envelope['error'] === 'string') {
      return { kind: 'error', message: typeof envelope['message'] === 'string' ? envelope['message'] : envelope['error'] };
    }
    const choice = Array.isArray(envelope['choices']) ? envelope['choices'][0] : undefined;
    const message = isRecord(choice) ? choice['message'] : undefined;
    if (isRecord(choice) && choice['finish_reason'] === 'tool_calls' && isRecord(message) && Array.isArray(message['tool_calls'])) {
      return { kind: 'handed_back', calls: message['tool_calls'] as ToolCallMessage[] };
    }
    return { kind: 'final' };
  }

  /** ACTIVITY once per tool call the agent makes (ABI.md §9); clarify is the host's own pause, not a tool step. */
  private noteToolCalls(calls: ToolCallMessage[]): void {
    this.batch = calls.map((call) => call.function.name).filter((name) => name !== CLARIFY_TOOL);
    this.batchDone = 0;
    for (const name of this.batch) {
      const item: ActivityItem = { kind: 'tool', title: 'Tool', timestamp: activityTimestamp(), detail: name };
      this.activity.push(item);
      if (this.activity.length > ACTIVITY_FEED_LENGTH) this.activity.shift();
      this.env.emit(this, 'ACTIVITY', { ...item });
    }
    this.currentStep = this.batch[0] ?? null;
  }

  /** PROGRESS through the announced batch of tool calls, one event per returned call. */
  private noteToolResult(): void {
    const finished = this.batch[this.batchDone];
    if (finished === undefined) return;
    this.batchDone += 1;
    this.currentStep = this.batch[this.batchDone] ?? null;
    this.env.emit(this, 'PROGRESS', { progress: this.batchDone / this.batch.length, title: this.title, current_step: finished });
  }

  /**
   * A round ends with calls the loop did not run: the agent asked to clarify,
   * or named a tool it does not have. Runs the others, answers unknown ones
   * with tool_not_found, and pauses on the first clarify. True when paused.
   */
  private async runHandedBack(calls: ToolCallMessage[]): Promise<boolean> {
    let question: Clarification | null = null;
    for (const call of calls) {
      const name = call.function.name;
      let content: string;
      if (name === CLARIFY_TOOL) {
        const parsed: Clarification | string = question ? 'Ask one question at a time; wait for the answer to the first.' : parseClarify(call);
        if (typeof parsed !== 'string') {
          question = parsed;
          continue;
        }
        content = toolFailure(name, 'invalid_args', parsed);
      } else if (this.stopReason) {
        break;
      } else if (this.tools.executableNames.has(name)) {
        content = await this.tools.executable.invoke(name, call.function.arguments).catch((error: unknown) =>
          toolFailure(name, 'execution_error', `Tool '${name}' failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      } else {
        content = toolFailure(name, 'tool_not_found', `No tool named '${name}' is available to this task.`);
      }
      this.env.store.append(this.id, [{ role: 'tool', tool_call_id: call.id, content }]);
      if (name !== CLARIFY_TOOL) this.noteToolResult();
    }
    if (!question || this.stopReason) return false;
    this.clarification = question;
    this.setStatus('awaiting_clarification', null);
    this.env.emit(this, 'CLARIFICATION', {
      question: question.question,
      allow_multiple: question.allowMultiple,
      ...(question.options ? { options: question.options } : {}),
    });
    return true;
  }

  private stopStream(): void {
    if (this.streamId) this.env.inference.completeCancel(this.context, this.streamId);
  }

  /** The run stopped on request: a cancel already reported itself; an interrupt completes the task. */
  private stopped(): void {
    this.env.store.append(this.id, this.pendingUserTurns.splice(0));
    if (this.stopReason === 'interrupt' && this.active) {
      this.clarification = null;
      this.finish(true, 'Chat completed');
    }
  }

  private finish(success: boolean, summary: string): void {
    this.setStatus(success ? 'completed' : 'failed', summary);
    this.env.emit(this, success ? 'COMPLETED' : 'FAILED', {
      success,
      summary,
      title: this.title,
      session_id: this.id,
      ...(this.output !== null ? { output: this.output } : {}),
    });
  }

  private setStatus(status: TaskStatus, summary: string | null): void {
    this.status = status;
    this.summary = summary;
    this.env.statusChanged(this);
  }
}

/** The clarify call's question, or why it cannot be asked. */
function parseClarify(call: ToolCallMessage): Clarification | string {
  const args = tryParseJson(call.function.arguments);
  if (!isRecord(args) || typeof args['question'] !== 'string' || args['question'].trim() === '') {
    return 'clarify needs a non-empty "question" string.';
  }
  const options = Array.isArray(args['options'])
    ? args['options'].filter((option): option is string => typeof option === 'string' && option.trim() !== '')
    : [];
  return {
    toolCallId: call.id,
    question: args['question'].trim(),
    allowMultiple: args['allow_multiple'] === true,
    ...(options.length > 0 ? { options } : {}),
  };
}
