import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGE_PART_CHARS, RpcPeer } from './rpc.js';

/**
 * A process on a real JSON IPC channel (as the plugin process has) that sends every message straight back,
 * and answers a `largest` event with the longest message it received, as JSON text.
 */
const MIRROR = `
let largest = 0;
process.on('message', (message) => {
  largest = Math.max(largest, JSON.stringify(message).length);
  process.send(message.type === 'event' && message.name === 'largest' ? { type: 'event', name: 'largest', payload: largest } : message);
});
process.on('disconnect', () => process.exit(0));
`;

const mirrors: ChildProcess[] = [];
afterEach(() => {
  for (const mirror of mirrors.splice(0)) mirror.kill();
});

function mirroredPeer() {
  const mirror = spawn(process.execPath, ['-e', MIRROR], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  mirrors.push(mirror);
  const events: { name: string; payload: unknown }[] = [];
  // A request comes back as a request to this peer: its answer is the `text` it carried, sent back as a response.
  const peer = new RpcPeer(mirror, (_method, params) => (params as { text: string }).text, (name, payload) => events.push({ name, payload }));
  const largestMessage = async () => {
    peer.emit('largest', null);
    while (!events.some((event) => event.name === 'largest')) await new Promise((resolve) => setTimeout(resolve, 5));
    return events.find((event) => event.name === 'largest')!.payload as number;
  };
  return { peer, events, largestMessage };
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

  it('sends short strings, and objects of its own shape, as they are', async () => {
    const { peer, events, largestMessage } = mirroredPeer();
    const payload = { args: ['x'.repeat(MESSAGE_PART_CHARS), null, 3], lookalike: { 'osr-host:long-string': 'not a number' } };
    peer.emit('call', payload);
    expect(await largestMessage()).toBeGreaterThan(MESSAGE_PART_CHARS);
    expect(events[0]).toEqual({ name: 'call', payload });
  });
});
