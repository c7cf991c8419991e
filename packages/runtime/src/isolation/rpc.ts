/**
 * Request/response RPC over a Node IPC channel (a forked child or its parent),
 * in both directions at once: a host call from the child may arrive while the
 * parent waits for that child's invoke, and the parent may answer it with a
 * nested request (an on_chunk delivery).
 */
export interface IpcChannel {
  /** False once the channel was closed; absent where the channel cannot tell. */
  readonly connected?: boolean;
  send(message: unknown): boolean;
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
  | { type: 'event'; name: string; payload: unknown };

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

export class RpcPeer {
  private lastId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly channel: IpcChannel,
    private readonly handleRequest: RequestHandler,
    private readonly handleEvent: (name: string, payload: unknown) => void = () => undefined,
  ) {
    channel.on('message', (message) => this.receive(message as Message));
  }

  request<T>(method: string, params: unknown): Promise<T> {
    const id = ++this.lastId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.channel.send({ type: 'request', id, method, params } satisfies Message);
    });
  }

  emit(name: string, payload: unknown): void {
    this.channel.send({ type: 'event', name, payload } satisfies Message);
  }

  /** Fails every request still waiting (the other side is gone). */
  failAll(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of waiting) reject(error);
  }

  private receive(message: Message): void {
    if (message.type === 'response') {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if (message.error !== undefined) waiter.reject(new RemoteError(message.error));
      else waiter.resolve(message.result);
    } else if (message.type === 'request') {
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
    } else if (message.type === 'event') {
      this.handleEvent(message.name, message.payload);
    }
  }

  // A request served after the other side closed the channel (a queued log from a plugin's destroy, answered
  // once its process was told to exit) has nobody waiting for its answer.
  private respond(message: Message): void {
    if (this.channel.connected !== false) this.channel.send(message);
  }
}
