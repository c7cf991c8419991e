import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS_PER_MESSAGE, MESSAGE_PART_CHARS, RpcPeer, type RpcPeerOptions } from './rpc.js';

/**
 * A process on a real JSON IPC channel (as the plugin process has) that sends every message straight back,
 * and answers a `largest` event with the longest message it received, as JSON text, and a `received`
 * event with the number of messages it received before.
 */
const MIRROR = `
let largest = 0;
let received = 0;
process.on('message', (message) => {
  largest = Math.max(largest, JSON.stringify(message).length);
  received += 1;
  const asked = message.type === 'events' && message.events.find((event) => event.name === 'largest' || event.name === 'received');
  if (!asked) return process.send(message);
  process.send({ type: 'events', events: [{ name: asked.name, payload: asked.name === 'largest' ? largest : received - 1 }] });
});
process.on('disconnect', () => process.exit(0));
`;

const mirrors: ChildProcess[] = [];
afterEach(() => {
  for (const mirror of mirrors.splice(0)) mirror.kill();
});

function mirroredPeer(options: RpcPeerOptions = {}) {
  const mirror = spawn(process.execPath, ['-e', MIRROR], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  mirrors.push(mirror);
  const events: { name: string; payload: unknown }[] = [];
  // A request comes back as a request to this peer: its answer is the `text` it carried, sent back as a response.
  const peer = new RpcPeer(mirror, (_method, params) => (params as { text: string }).text, (name, payload) => events.push({ name, payload }), options);
  const ask = async (name: 'largest' | 'received') => {
    await new Promise((resolve) => setImmediate(resolve));
    peer.emit(name, null);
    while (!events.some((event) => event.name === name)) await new Promise((resolve) => setTimeout(resolve, 5));
    return events.find((event) => event.name === name)!.payload as number;
  };
  return { peer, events, largestMessage: () => ask('largest'), messagesReceived: () => ask('received') };
}

describe('RpcPeer', () => {
  it('sends strings longer than a message part in parts, and they arrive whole', async () => {
    const { peer, events, largestMessage } = mirroredPeer();
    // A surrogate pair split by the part boundary, a quote and a newline; over four parts in all.
    const long = `${'x'.repeat(MESSAGE_PART_CHARS - 1)}😀"\n${'y'.repeat(3 * MESSAGE_PART_CHARS)}`;
    const record = { slot: 'log_structured', args: ['message', long], intArg: 2, startedAt: new Date(0), more: { nested: [long.slice(5)] } };

    peer.emit('hostCall', record);
    expect(await peer.request('echo', { text: long })).toBe(long);
    expect(await largestMessage()).toBeLessThan(MESSAGE_PART_CHARS + 1_024);
    expect(events[0]).toEqual({ name: 'hostCall', payload: { ...record, startedAt: record.startedAt.toJSON() } });
  });

  it('sends the events of one turn as one message, ahead of the next request', async () => {
    const { peer, events, messagesReceived } = mirroredPeer();
    for (let n = 0; n < 1000; n += 1) peer.emit('hostCall', { n });
    const answer = peer.request('echo', { text: 'after the events' });
    expect(await answer).toBe('after the events');
    // 1000 events in batches of at most EVENTS_PER_MESSAGE, then the request and (the mirror sends the
    // request back, so this peer answers it) the answer.
    expect(await messagesReceived()).toBe(Math.ceil(1000 / EVENTS_PER_MESSAGE) + 2);
    expect(events.slice(0, 1000).map((event) => (event.payload as { n: number }).n)).toEqual(Array.from({ length: 1000 }, (_, n) => n));
  });

  it('ends a batch of events once its strings fill a message part', async () => {
    const { peer, events, largestMessage } = mirroredPeer();
    const text = 'x'.repeat(MESSAGE_PART_CHARS / 4);
    for (let n = 0; n < 20; n += 1) peer.emit('hostCall', { args: [text] });
    expect(await largestMessage()).toBeLessThan(MESSAGE_PART_CHARS + 1_024);
    expect(events.filter((event) => event.name === 'hostCall')).toHaveLength(20);
  });

  it('keeps its event loop polling after a message only when told to', async () => {
    const spinning = () => process.getActiveResourcesInfo().includes('Immediate');
    const quiet = mirroredPeer();
    await quiet.peer.request('echo', { text: 'x' });
    expect(spinning()).toBe(false);
    const eager = mirroredPeer({ keepAwakeMs: 100 });
    await eager.peer.request('echo', { text: 'x' });
    expect(spinning()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(spinning()).toBe(false);
  });

  it('sends short strings, and objects of its own shape, as they are', async () => {
    const { peer, events, largestMessage } = mirroredPeer();
    const payload = { args: ['x'.repeat(MESSAGE_PART_CHARS), null, 3], lookalike: { 'osr-host:long-string': 'not a number' } };
    peer.emit('call', payload);
    expect(await largestMessage()).toBeGreaterThan(MESSAGE_PART_CHARS);
    expect(events[0]).toEqual({ name: 'call', payload });
  });
});
