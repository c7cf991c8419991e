import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cCompiler, headerDirectory, remoteChannelHeader } from '../native/build.mjs';
import { NativeBridge } from './bridge.js';

// The host's side of a remote-call channel (P191) against a process that is not the runtime's plugin process:
// a small C program that maps the channel and answers through the host's pipe, as it likes.
const FOREIGN_PROCESS = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "osr_slots.generated.h"
#include "osr_remote_channel.h"

int main(int argc, char** argv) {
  const char* mode = argv[1];
  osrb_channel_shared* shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
  if (shared == MAP_FAILED || shared->magic != OSRB_CHANNEL_MAGIC) return 2;
  osrb_channel_slot* slot = NULL;
  for (int waited = 0; !slot && waited < 5000; waited++) {
    for (int i = 0; i < OSRB_CHANNEL_SLOTS && !slot; i++) {
      if (atomic_load(&shared->slots[i].state) == OSRB_SLOT_REQUESTED) slot = &shared->slots[i];
    }
    if (!slot) usleep(1000);
  }
  if (!slot) return 3;
  atomic_store(&slot->state, OSRB_SLOT_RUNNING);
  const char* text = slot->data;
  printf("%s %llu", slot->kind == OSRB_INVOKE ? "invoke" : "other", (unsigned long long)slot->frame_id);
  for (int i = 0; i < 4; i++) {
    printf("%s%s", i == 0 ? " " : "|", slot->text_bytes[i] ? text : "(null)");
    text += slot->text_bytes[i];
  }
  fflush(stdout);
  if (strcmp(mode, "vanish") == 0) return 0;
  if (strcmp(mode, "answer") == 0) {
    strcpy(slot->data, argv[2]);
    slot->answer_bytes = strlen(argv[2]);
  } else {
    /* A length past the slot, as a hostile process might write. */
    memset(slot->data, 'z', OSRB_CHANNEL_SLOT_BYTES);
    slot->answer_bytes = 1u << 20;
  }
  slot->answer = OSRB_ANSWER_TEXT;
  atomic_store(&slot->state, OSRB_SLOT_DONE);
  char byte = 1;
  return write(4, &byte, 1) == 1 ? 0 : 4;
}
`;

let program = '';
beforeAll(() => {
  const directory = mkdtempSync(join(tmpdir(), 'osr-remote-channel-'));
  const source = join(directory, 'foreign.c');
  writeFileSync(source, FOREIGN_PROCESS);
  program = join(directory, 'foreign');
  execFileSync(cCompiler(), ['-std=gnu11', `-I${join(remoteChannelHeader, '..')}`, `-I${headerDirectory}`, source, '-o', program]);
});

/** Starts the foreign process on a new channel and makes one remote invoke through it. */
function callThroughForeignProcess(mode: string, ...args: string[]) {
  const bridge = NativeBridge.open();
  const channel = bridge.createRemoteChannel();
  if (!channel) throw new Error('no remote-call channel');
  const child = spawn(program, [mode, ...args], { stdio: ['ignore', 'pipe', 'inherit', channel.fd, channel.wakeFd] });
  closeSync(channel.fd);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const call = bridge.callRemote(channel.channel, { kind: 'invoke', frameId: 7, agentId: 'agent-1', args: ['tool', 'echo', '{"x":1}'] });
  if (!call) throw new Error('the channel refused the call');
  return { bridge, channel: channel.channel, call, exited, output: () => output };
}

describe.runIf(process.platform === 'linux')('a remote-call channel', () => {
  it('carries a call to the other process and its answer back, through the host bridge’s pipe', async () => {
    const { bridge, channel, call, exited, output } = callThroughForeignProcess('answer', '{"ok":true,"result":"from afar"}');
    const result = await call.answer;
    expect(result).toMatchObject({ text: '{"ok":true,"result":"from afar"}', tooLarge: false, failed: false });
    expect(call.taken()).toBe(true);
    expect(await exited).toBe(0);
    expect(output()).toBe('invoke 7 agent-1|tool|echo|{"x":1}');
    bridge.closeRemoteChannel(channel);
  });

  it('takes an answer whose length runs past its slot as too large, without reading past the slot', async () => {
    const { bridge, channel, call, exited } = callThroughForeignProcess('oversize');
    expect(await call.answer).toMatchObject({ text: null, tooLarge: true, textBytes: 1 << 20, failed: false });
    expect(await exited).toBe(0);
    bridge.closeRemoteChannel(channel);
  });

  it('fails a call its process never answered once the host closes the channel', async () => {
    const { bridge, channel, call, exited } = callThroughForeignProcess('vanish');
    expect(await exited).toBe(0);
    bridge.closeRemoteChannel(channel);
    expect(await call.answer).toMatchObject({ failed: true, text: 'the plugin process has exited' });
    expect(bridge.callRemote(channel, { kind: 'invoke', frameId: 8, agentId: null, args: ['tool', 'echo', '1'] })).toBeNull();
  });
});
