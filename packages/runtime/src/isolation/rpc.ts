import { keepEventLoopAwake } from './event-loop-spin.js';

/**
 * Request/response RPC over a Node IPC channel (a forked child or its parent),
 * in both directions at once: a host call from the child may arrive while the
 * parent waits for that child's invoke, and the parent may answer it with a
 * nested request (an on_chunk delivery).
 */
export interface IpcChannel {
  /** False once the channel was closed; absent where the channel cannot tell. */
  readonly connected?: boolean;
  /** `onSent` gets the error of a send that failed after the call (the other side went away). */
  send(message: unknown, onSent?: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

interface RemoteErrorData {
  message: string;
  name?: string;
  code?: string;
}

type Message =
  | { type: 'request'; id: number; method: string; params: unknown }
  | { type: 'response'; id: number; result?: unknown; error?: RemoteErrorData }
  /** The events emitted since the last message, in order (a plugin's host-call records come in bursts). */
  | { type: 'events'; events: { name: string; payload: unknown }[] }
  /** One part of a long string of the next message other than a part; `last` ends the string. */
  | { type: 'part'; text: string; last: boolean };

/**
 * Strings longer than this cross the channel in parts of this many characters, each its own message, ahead of the
 * message that holds them: the receiver parses many small messages, one per turn of its event loop, instead of one
 * huge message that would stall it (a 50 MB host-call argument as one message took about 300 ms to parse).
 */
export const MESSAGE_PART_CHARS = 256 * 1024;

/** Events sent in one message at most; a batch also ends once its strings reach MESSAGE_PART_CHARS. */
export const EVENTS_PER_MESSAGE = 256;

/** The key of the object that stands, in a message, for its long string number `n` (sent before it in parts). */
const LONG_STRING = 'osr-host:long-string';

/** `value` with each string longer than MESSAGE_PART_CHARS replaced by a stand-in, the strings appended to `long`. */
function withoutLongStrings(value: unknown, long: string[]): unknown {
  if (typeof value === 'string') {
    if (value.length <= MESSAGE_PART_CHARS) return value;
    long.push(value);
    return { [LONG_STRING]: long.length - 1 };
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((inner) => withoutLongStrings(inner, long));
  // Dates and other class instances go through JSON as they are (toJSON).
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutLongStrings(inner, long)]));
}

/** The characters of the strings in `value`: about what it adds to a message, and never less than its longest string. */
function stringChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return 0;
  let chars = 0;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) chars += stringChars(inner);
  return chars;
}

/** `value` with the stand-ins of `withoutLongStrings` replaced by the strings that arrived in parts. */
function withLongStrings(value: unknown, long: readonly string[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((inner) => withLongStrings(inner, long));
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first?.[0] === LONG_STRING && typeof first[1] === 'number') return long[first[1]];
  return Object.fromEntries(entries.map(([key, inner]) => [key, withLongStrings(inner, long)]));
}

/** An error thrown on the other side of the channel, with its class name and code. */
export class RemoteError extends Error {
  readonly remoteName: string | undefined;
  readonly code: string | undefined;

  constructor(data: RemoteErrorData) {
    super(data.message);
    this.remoteName = data.name;
    this.code = data.code;
  }
}

export type RequestHandler = (method: string, params: unknown) => unknown;

export interface RpcPeerOptions {
  /**
   * After each request it receives and each message it sends, the event loop polls without sleeping for this
   * long, so the next message is read at once (P183). For a process that does nothing else; default 0.
   */
  keepAwakeMs?: number;
}

/**
 * A message that could not be written (EPIPE: the other side exited) loses nothing a caller waits for: that
 * side's exit fails every request still pending (`failAll`). Without a callback Node would throw it as an
 * unhandled 'error' event.
 */
function ignoreSendError(): void {}

export class RpcPeer {
  private lastId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Long strings of the next message, and the one still arriving in parts. */
  private arrivedStrings: string[] = [];
  private arrivingString = '';
  /** Events not sent yet: they leave together at the end of this turn, or ahead of the next other message. */
  private outgoingEvents: { name: string; payload: unknown }[] = [];
  private outgoingEventChars = 0;

  constructor(
    private readonly channel: IpcChannel,
    private readonly handleRequest: RequestHandler,
    private readonly handleEvent: (name: string, payload: unknown) => void = () => undefined,
    private readonly options: RpcPeerOptions = {},
  ) {
    channel.on('message', (message) => this.receive(message as Message));
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = ++this.lastId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ type: 'request', id, method, params });
    });
  }

  /**
   * Sends an event. Events emitted in one turn of the event loop share one message (each message costs the
   * other side a wake-up and a parse), and an event always arrives before any message sent after it.
   */
  emit(name: string, payload: unknown): void {
    if (this.outgoingEvents.length === 0) queueMicrotask(() => this.sendEvents());
    this.outgoingEvents.push({ name, payload });
    this.outgoingEventChars += stringChars(payload);
    if (this.outgoingEvents.length >= EVENTS_PER_MESSAGE || this.outgoingEventChars >= MESSAGE_PART_CHARS) this.sendEvents();
  }

  /** Fails every request still waiting (the other side is gone). */
  failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of waiting) reject(error);
  }

  private sendEvents(): void {
    if (this.outgoingEvents.length === 0 || this.channel.connected === false) return;
    const events = this.outgoingEvents;
    const chars = this.outgoingEventChars;
    this.outgoingEvents = [];
    this.outgoingEventChars = 0;
    this.sendNow({ type: 'events', events }, chars);
  }

  private send(message: Message): void {
    this.sendEvents();
    this.sendNow(message);
    this.keepAwake();
  }

  private keepAwake(): void {
    if (this.options.keepAwakeMs) keepEventLoopAwake(this.options.keepAwakeMs);
  }

  /** `chars`: the message's string characters, when already counted. */
  private sendNow(message: Message, chars = stringChars(message)): void {
    const long: string[] = [];
    // Most messages hold no long string: they go as they are, without a copy.
    const sendable = chars > MESSAGE_PART_CHARS ? withoutLongStrings(message, long) : message;
    for (const text of long) {
      for (let at = 0; at < text.length; at += MESSAGE_PART_CHARS) {
        this.channel.send({ type: 'part', text: text.slice(at, at + MESSAGE_PART_CHARS), last: at + MESSAGE_PART_CHARS >= text.length } satisfies Message, ignoreSendError);
      }
    }
    this.channel.send(sendable, ignoreSendError);
  }

  private receive(received: Message): void {
    if (received.type === 'part') {
      // Joined as a rope: the copy into one string happens once, where the string is first read.
      this.arrivingString += received.text;
      if (received.last) {
        this.arrivedStrings.push(this.arrivingString);
        this.arrivingString = '';
      }
      return;
    }
    const message = this.arrivedStrings.length === 0 ? received : (withLongStrings(received, this.arrivedStrings) as Message);
    this.arrivedStrings = [];
    if (message.type === 'response') {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error !== undefined) waiter.reject(new RemoteError(message.error));
      else waiter.resolve(message.result);
    } else if (message.type === 'request') {
      this.keepAwake();
      Promise.resolve()
        .then(() => this.handleRequest(message.method, message.params))
        .then(
          (result) => this.respond({ type: 'response', id: message.id, result: result ?? null }),
          (error: unknown) => {
            const { message: text, name, code } = error as { message?: string; name?: string; code?: unknown };
            const data: RemoteErrorData = { message: text ?? String(error), ...(name ? { name } : {}), ...(typeof code === 'string' ? { code } : {}) };
            this.respond({ type: 'response', id: message.id, error: data });
          },
        );
    } else if (message.type === 'events') {
      for (const { name, payload } of message.events) this.handleEvent(name, payload);
    }
  }

  // A request served after the other side closed the channel (a queued log from a plugin's destroy, answered
  // once its process was told to exit) has nobody waiting for its answer.
  private respond(message: Message): void {
    if (this.channel.connected !== false) this.send(message);
  }
}
