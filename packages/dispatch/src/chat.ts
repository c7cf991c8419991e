import { isRecord, sortedJson } from './json.js';

/** An OpenAI chat message as stored in a session. */
export type ChatMessage = Record<string, unknown> & { role: string };

export interface ToolCallMessage {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The name of the tool the agent calls to ask the user a question; the task pauses until an answer. */
export const CLARIFY_TOOL = 'clarify';

export const clarifyToolDefinition = {
  type: 'function',
  function: {
    name: CLARIFY_TOOL,
    description:
      'Ask the user a question when the task cannot continue without their answer. The task pauses until they reply; the reply is this tool call result.',
    parameters: {
      type: 'object',
      properties: {
        question: { type: 'string', description: 'The question for the user.' },
        options: { type: 'array', items: { type: 'string' }, description: 'Choices to offer; leave out for a free-form answer.' },
        allow_multiple: { type: 'boolean', description: 'Whether the user may pick several options.' },
      },
      required: ['question'],
    },
  },
} as const;

/** The function name of an OpenAI tool definition, if it has one. */
export function definitionName(definition: unknown): string | undefined {
  const fn = isRecord(definition) ? definition['function'] : undefined;
  return isRecord(fn) && typeof fn['name'] === 'string' ? fn['name'] : undefined;
}

/** A tool-result envelope (HOST_API.md §12) for a call the run could not complete. */
export function toolFailure(name: string, kind: string, message: string): string {
  return sortedJson({ ok: false, kind, message, tool: name });
}

/**
 * Gives every assistant tool call a result before the next turn, so a session
 * stopped mid-tool (cancel, interrupt, host restart) is still a valid request.
 */
export function withToolResults(messages: readonly ChatMessage[]): ChatMessage[] {
  const repaired: ChatMessage[] = [];
  let open: ToolCallMessage[] = [];
  const closeOpen = () => {
    for (const call of open) {
      repaired.push({
        role: 'tool',
        tool_call_id: call.id,
        content: toolFailure(call.function.name, 'execution_error', 'The task stopped before this tool call finished.'),
      });
    }
    open = [];
  };
  for (const message of messages) {
    if (message.role === 'tool') {
      open = open.filter((call) => call.id !== message['tool_call_id']);
      repaired.push(message);
      continue;
    }
    closeOpen();
    repaired.push(message);
    if (message.role === 'assistant' && Array.isArray(message['tool_calls'])) open = [...(message['tool_calls'] as ToolCallMessage[])];
  }
  closeOpen();
  return repaired;
}

/** What one model round reports while it streams. */
export interface RoundListener {
  /** Assistant text that ended a turn (before tool calls, or the final answer). */
  onText(text: string): void;
  /** The agent called these tools (clarify included). */
  onToolCalls(calls: ToolCallMessage[]): void;
  /** A tool the host ran returned. */
  onToolResult(toolCallId: string): void;
}

/**
 * Rebuilds one round's chat messages from the stream chunks of
 * `complete_stream` (content deltas, the tool-call announcement, tool
 * results, the terminator). A cancelled turn's partial text is dropped.
 */
export class RoundTranscript {
  readonly messages: ChatMessage[] = [];
  private text = '';

  constructor(private readonly listener: RoundListener) {}

  absorb(chunkJson: string): void {
    const chunk = JSON.parse(chunkJson) as { choices?: Array<{ delta?: Record<string, unknown>; finish_reason?: string }> };
    const choice = chunk.choices?.[0];
    const delta = choice?.delta ?? {};
    if (delta['role'] === 'tool' && typeof delta['tool_call_id'] === 'string') {
      this.messages.push({ role: 'tool', tool_call_id: delta['tool_call_id'], content: delta['content'] });
      this.listener.onToolResult(delta['tool_call_id']);
    } else if (Array.isArray(delta['tool_calls'])) {
      const calls = delta['tool_calls'] as ToolCallMessage[];
      this.messages.push({ role: 'assistant', content: this.text === '' ? null : this.text, tool_calls: calls });
      this.flushText();
      this.listener.onToolCalls(calls);
    } else if (typeof delta['content'] === 'string') {
      this.text += delta['content'];
    }
    const finish = choice?.finish_reason;
    if (finish === 'stop' || finish === 'length') {
      if (this.text !== '') this.messages.push({ role: 'assistant', content: this.text });
      this.flushText();
    } else if (finish === 'cancelled') {
      this.text = '';
    }
  }

  private flushText(): void {
    if (this.text !== '') this.listener.onText(this.text);
    this.text = '';
  }
}
