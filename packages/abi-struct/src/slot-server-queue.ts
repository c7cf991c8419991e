import koffi, { type LibraryHandle } from 'koffi';
import { ensureBridgeLibrary } from '../native/build.mjs';
import { HOST_SLOTS, type HostSlotName } from './layout.js';

/** What `SlotServerQueue.next` hands the server's thread; answer every entry with `reply`, once. */
export type SlotServerEntry =
  /** A plugin thread's host call, waiting for its answer. */
  | { kind: 'call'; handle: bigint; pluginSlot: number; slot: HostSlotName; args: [string | null, string | null, string | null] }
  /** From now on calls from `pluginSlot` come from the plugin `pluginId`. */
  | { kind: 'attach'; handle: bigint; pluginSlot: number; pluginId: string }
  /** `pluginSlot` is released or handed back to the host-call handler: no more calls come from it. */
  | { kind: 'forget'; handle: bigint; pluginSlot: number }
  /** The host stops this server: return from the loop after replying. */
  | { kind: 'stop'; handle: bigint };

const ENTRY_KINDS = { 1: 'call', 2: 'attach', 3: 'forget', 4: 'stop' } as const;

/**
 * The server's side of a slot-server queue (`NativeBridge.openServerQueue`), for the thread that serves it,
 * a worker thread: `next` blocks that thread until a plugin thread hands it a call, which waits for `reply`.
 */
export class SlotServerQueue {
  readonly #server: number;
  readonly #next: ReturnType<LibraryHandle['func']>;
  readonly #reply: ReturnType<LibraryHandle['func']>;
  /** kind, plugin slot, host slot, three argument pointers and their byte lengths, after the entry's handle. */
  readonly #words = new BigInt64Array(10);

  constructor(server: number) {
    const library = koffi.load(ensureBridgeLibrary());
    this.#server = server;
    this.#next = library.func('void osrb_server_next(int32_t server, _Out_ int64_t* out)');
    this.#reply = library.func('void osrb_server_reply(void* handle, const char* result)');
  }

  /** Waits, on this thread, for the next entry. */
  next(): SlotServerEntry {
    const words = this.#words;
    this.#next(this.#server, words);
    const handle = BigInt.asUintN(64, words[0]!);
    const kind = ENTRY_KINDS[Number(words[1]) as keyof typeof ENTRY_KINDS];
    const pluginSlot = Number(words[2]);
    const text = (index: number): string | null => {
      const pointer = BigInt.asUintN(64, words[4 + index]!);
      return pointer === 0n ? null : (koffi.decode(pointer, 'char', Number(words[7 + index])) as string);
    };
    switch (kind) {
      case 'call':
        return { kind, handle, pluginSlot, slot: HOST_SLOTS[Number(words[3]) - 1]!.name, args: [text(0), text(1), text(2)] };
      case 'attach':
        return { kind, handle, pluginSlot, pluginId: text(0) ?? '' };
      case 'forget':
        return { kind, handle, pluginSlot };
      default:
        return { kind: 'stop', handle };
    }
  }

  /** Answers an entry (the answer is copied for the plugin); control entries are freed. */
  reply(entry: SlotServerEntry, answer: string | null): void {
    this.#reply(entry.handle, answer);
  }
}
