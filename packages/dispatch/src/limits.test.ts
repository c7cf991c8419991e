import type { PluginTools } from '@osr-host/inference-stream';
import type { ReceivedChatRequest } from '@osr-host/inference-stream/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { runTasksCli } from './cli.js';
import { DispatchError } from './errors.js';
import type { TaskManager, TaskManagerOptions } from './manager.js';
import { TASK_EVENT as T } from '@osr-host/abi';
import { AGENT, Harness, type Json, OTHER_AGENT, openDatabase } from './test-support/fixture.js';

let harness: Harness;
afterEach(async () => {
  await harness.close();
});

const ctx = (agentId: string | null = AGENT, pluginId = 'js.plugin') => ({ pluginId, agentId });
const parse = (text: string | null) => JSON.parse(text ?? 'null') as Json;
const toolNames = (request: ReceivedChatRequest) => (request.tools ?? []).map((tool) => (tool as Json)['function'].name);

/** Waits until `manager` has queued an event of `name` for `taskId`. */
function queued(manager: TaskManager, taskId: string, name: string): Promise<Json> {
  return new Promise((resolve) => {
    const listener = (event: { taskId: string; name: string; payload: Json }) => {
      if (event.taskId !== taskId || event.name !== name) return;
      manager.events.off('taskEvent', listener);
      resolve(event.payload);
    };
    manager.events.on('taskEvent', listener);
  });
}

describe('admission', () => {
  it('allows 10 dispatches per 60 s sliding window per (plugin, agent), then rate_limit_exceeded', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    let now = 1_000_000;
    const manager = harness.manager({ now: () => now, limits: { maxActiveTasks: 100, maxActiveTasksPerAgent: 100 } });
    for (let i = 0; i < 10; i++) expect(parse(await manager.dispatch(ctx(), `{"prompt":"p${i}"}`))['status']).toBe('running');
    const refused = { error: 'rate_limit_exceeded', message: 'Dispatch rate limit (10/min) exceeded' };
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"flood"}'))).toEqual(refused);
    expect(parse(await manager.dispatch(ctx(OTHER_AGENT), '{"prompt":"other agent"}'))['status']).toBe('running');
    expect(parse(await manager.dispatch(ctx(AGENT, 'second.plugin'), '{"prompt":"other plugin"}'))['status']).toBe('running');
    now += 59_999;
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"still inside"}'))).toEqual(refused);
    now += 1;
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"window moved"}'))['status']).toBe('running');
  });

  it('names a configured rate limit in its refusal', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const manager = harness.manager({ limits: { dispatchesPerWindow: 1, windowMs: 30_000 } });
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"first"}'))['status']).toBe('running');
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"second"}'))).toEqual({
      error: 'rate_limit_exceeded',
      message: 'Dispatch rate limit (1/30 s) exceeded',
    });
  });

  it('queues a sixth task of one agent and any task past the global limit instead of refusing it, and starts it when a slot frees', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const manager = harness.manager({ limits: { maxActiveTasks: 7 } });
    const status = async (id: string) => parse(await manager.taskStatus(ctx(), id))['status'];
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = parse(await manager.dispatch(ctx(), `{"prompt":"p${i}"}`));
      expect(answer).toEqual({ id: answer['id'], status: 'running' });
      ids.push(answer['id']);
    }
    expect(await status(ids[5]!)).toBe('queued');
    const other: string[] = [];
    for (const prompt of ['a', 'b', 'c']) other.push(parse(await manager.dispatch(ctx(OTHER_AGENT), `{"prompt":"${prompt}"}`))['id']);
    expect(await Promise.all(other.map((id) => manager.taskStatus(ctx(), id).then((text) => parse(text)['status'])))).toEqual([
      'running',
      'running',
      'queued',
    ]);
    expect(parse(await manager.listActiveTasks(ctx()))['tasks']).toHaveLength(9);

    await manager.dispatchCancel(ctx(), ids[0]!);
    expect(await status(ids[5]!)).toBe('running');
    expect(await status(other[2]!)).toBe('queued');
    await manager.dispatchCancel(ctx(), ids[1]!);
    expect(await status(other[2]!)).toBe('running');
    expect(manager.list().map((task) => task.status).filter((s) => s === 'running')).toHaveLength(7);
  });

  it('rejects bad requests with the documented envelopes, before a rate-limit slot is used', async () => {
    harness = await Harness.start();
    const manager = harness.manager({ maxPromptBytes: 1024, limits: { dispatchesPerWindow: 1 } });
    const missing = { error: 'invalid_request', message: 'Missing required field: prompt' };
    for (const bad of ['{', '[]', 'null', '{"prompt":42}', '{"title":"no prompt"}', '']) expect(parse(await manager.dispatch(ctx(), bad))).toEqual(missing);
    expect(parse(await manager.dispatch(ctx(), '{"prompt":" \\n\\t "}'))).toEqual({ error: 'invalid_request', message: 'Prompt is empty' });
    expect(parse(await manager.dispatch(ctx(), JSON.stringify({ prompt: 'x'.repeat(1025) })))).toEqual({
      error: 'invalid_request',
      message: 'Prompt is too large (1025 bytes; the limit is 1024). Shorten it or split the work.',
    });
    expect(await manager.dispatch(ctx(), null)).toBeNull();
    expect(await manager.taskStatus(ctx(), null)).toBeNull();
    expect(parse(await manager.taskStatus(ctx(), '6F1E4C7A-2B59-4C1D-9A3E-000000000000'))).toEqual({ error: 'not_found', message: 'Task not found' });
    expect(parse(await manager.dispatch(ctx(), '{"prompt":"first real one"}'))['status']).toBe('running');
  });

  it('keeps a prompt of several megabytes intact up to the model server', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'text', tokens: ['ok'] }) });
    const manager = harness.manager();
    const prompt = `begin ${'ü'.repeat(1_500_000)} end`;
    const id = parse(await manager.dispatch(ctx(), JSON.stringify({ prompt })))['id'];
    await queued(manager, id, 'COMPLETED');
    expect(harness.server.responses[0]!.request.messages).toEqual([{ role: 'user', content: prompt }]);
  });

  it('uses a caller id that is a free UUID (upper-cased) and mints one otherwise', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const manager = harness.manager();
    const wanted = '5d3c1a2b-1111-4aaa-8bbb-0123456789ab';
    expect(parse(await manager.dispatch(ctx(), JSON.stringify({ prompt: 'a', id: wanted })))['id']).toBe(wanted.toUpperCase());
    const taken = parse(await manager.dispatch(ctx(), JSON.stringify({ prompt: 'b', id: wanted })))['id'];
    const invalid = parse(await manager.dispatch(ctx(), JSON.stringify({ prompt: 'c', id: 'nope' })))['id'];
    expect(new Set([wanted.toUpperCase(), taken, invalid]).size).toBe(3);
  });
});

describe('tool pinning', () => {
  const hostTools: PluginTools = {
    definitions: [{ type: 'function', function: { name: 'web_search', parameters: { type: 'object' } } }],
    invoke: async (_name, args) => JSON.stringify({ ok: true, result: { searched: JSON.parse(args) } }),
  };
  /** A directory whose every plugin declares `tools` and takes task events without doing anything. */
  const pluginsWith = (tools: string[]): TaskManagerOptions['plugins'] => ({
    get: (id) => ({
      id,
      instance: { invokeTool: async (name) => JSON.stringify({ ok: true, result: name }), taskEvent: async () => true },
      manifest: { capabilities: { tools: tools.map((name) => ({ id: name, description: name })) } },
      directory: '/plugins',
    }),
  });

  it('adds trimmed, de-duplicated allowed names on top of the agent selection and drops the rest with one warning per name', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'text', tokens: ['ok'] }) });
    const manager = harness.manager({ hostTools, plugins: pluginsWith(['notes_read', 'notes_write']), agentToolNames: () => ['notes_read'] });
    const request = { prompt: 'go', tools: [' notes_write ', 'notes_write', 42, '', 'web_search', 'rm_rf', 'notes_read', 'rm_rf'] };
    const first = parse(await manager.dispatch(ctx(), JSON.stringify(request)))['id'];
    await queued(manager, first, 'COMPLETED');
    const second = parse(await manager.dispatch(ctx(), JSON.stringify(request)))['id'];
    await queued(manager, second, 'COMPLETED');
    const notArray = parse(await manager.dispatch(ctx(), '{"prompt":"go","tools":"web_search"}'))['id'];
    await queued(manager, notArray, 'COMPLETED');

    expect(harness.server.responses.map((response) => toolNames(response.request))).toEqual([
      ['notes_read', 'notes_write', 'web_search', 'clarify'],
      ['notes_read', 'notes_write', 'web_search', 'clarify'],
      ['notes_read', 'clarify'],
    ]);
    expect(harness.warnings).toEqual([
      {
        key: 'js.plugin|dispatch|tool_scope|rm_rf',
        message:
          "Plugin 'js.plugin' requested tool 'rm_rf' on dispatch but it is not in the allowed set (own manifest tools or host built-ins). The name was dropped; the rest of the dispatch proceeds. This warning is logged once per plugin per tool name per process.",
      },
    ]);
  });

  it('runs a pinned host tool in the loop and answers a tool the task does not have with tool_not_found', async () => {
    harness = await Harness.start({
      reply: (_request, index) =>
        index === 0
          ? { kind: 'tool_calls', calls: [{ name: 'web_search', arguments: '{"q":"osr"}' }] }
          : index === 1
            ? { kind: 'tool_calls', calls: [{ name: 'made_up', arguments: '{}' }] }
            : { kind: 'text', tokens: ['done'] },
    });
    const manager = harness.manager({ hostTools, plugins: pluginsWith([]), agentToolNames: () => [] });
    const id = parse(await manager.dispatch(ctx(), '{"prompt":"search","tools":["web_search"]}'))['id'];
    expect(await queued(manager, id, 'COMPLETED')).toMatchObject({ success: true, output: 'done' });
    const messages = harness.server.responses[2]!.request.messages;
    const results = messages.filter((message) => message['role'] === 'tool').map((message) => JSON.parse(message['content'] as string));
    expect(results).toEqual([
      { ok: true, result: { searched: { q: 'osr' } } },
      { ok: false, kind: 'tool_not_found', tool: 'made_up', message: "No tool named 'made_up' is available to this task." },
    ]);
  });
});

describe('sessions and restarts', () => {
  it('a new manager over the same database resumes a session by session_id, for the same plugin and agent only', async () => {
    harness = await Harness.start({ reply: (_request, index) => ({ kind: 'text', tokens: [`answer ${index}`] }) });
    const before = harness.manager();
    const id = parse(await before.dispatch(ctx(), '{"prompt":"first","session_id":"chat-1"}'))['id'];
    await queued(before, id, 'COMPLETED');
    await before.close();

    const after = harness.manager();
    const resumed = parse(await after.dispatch(ctx(), JSON.stringify({ prompt: 'second', session_id: 'chat-1', id: '11111111-2222-4333-8444-555555555555' })));
    expect(resumed).toEqual({ id, status: 'running' });
    expect(await queued(after, id, 'COMPLETED')).toMatchObject({ session_id: id, output: 'answer 1' });
    expect(harness.server.responses[1]!.request.messages).toEqual([
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'answer 0' },
      { role: 'user', content: 'second' },
    ]);

    const otherAgent = parse(await after.dispatch(ctx(OTHER_AGENT), '{"prompt":"x","session_id":"chat-1"}'))['id'];
    const otherPlugin = parse(await after.dispatch(ctx(AGENT, 'other.plugin'), '{"prompt":"x","session_id":"chat-1"}'))['id'];
    await Promise.all([queued(after, otherAgent, 'COMPLETED'), queued(after, otherPlugin, 'COMPLETED')]);
    expect(new Set([id, otherAgent, otherPlugin]).size).toBe(3);
    expect(after.history().map((run) => [run.taskId, run.status])).toEqual([
      [otherPlugin, 'completed'],
      [otherAgent, 'completed'],
      [id, 'completed'],
      [id, 'completed'],
    ]);
  });

  it('starts a new session when an active task of the plugin holds the key', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const manager = harness.manager();
    const first = parse(await manager.dispatch(ctx(), '{"prompt":"a","session_id":"k"}'))['id'];
    const second = parse(await manager.dispatch(ctx(), '{"prompt":"b","session_id":"k"}'))['id'];
    expect(second).not.toBe(first);
  });

  it('marks runs a stopped host left active as interrupted', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const crashed = harness.manager();
    const id = parse(await crashed.dispatch(ctx(), '{"prompt":"never ends"}'))['id'];
    const restarted = harness.manager();
    expect(restarted.history()[0]).toMatchObject({ taskId: id, status: 'interrupted', summary: 'The host stopped before the task finished.' });
  });

  it('needs the dispatch migrations', async () => {
    harness = await Harness.start();
    const { openHostDatabase } = await import('@osr-host/storage');
    const bare = openHostDatabase(':memory:');
    expect(() => harness.manager({ database: bare })).toThrow(DispatchError);
    bare.$client.close();
    const migrated = openDatabase(':memory:');
    expect(harness.manager({ database: migrated }).list()).toEqual([]);
    migrated.$client.close();
  });
});

describe('finalization and the operator CLI', () => {
  it('drops a cancelled task after its retention; task_status then answers not_found', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'hang' }) });
    const manager = harness.manager({ retention: { cancelledMs: 0 } });
    const id = parse(await manager.dispatch(ctx(), '{"prompt":"x"}'))['id'];
    const finalized = new Promise((resolve) => manager.events.once('taskFinalized', resolve));
    expect(manager.cancel(id.toLowerCase())).toBe(true);
    expect(await finalized).toEqual({ taskId: id, pluginId: 'js.plugin' });
    expect(parse(await manager.taskStatus(ctx(), id))).toEqual({ error: 'not_found', message: 'Task not found' });
  });

  it('list has a header and says why a task failed; watch on an ended task prints its final state and exits', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'http_error', status: 400, message: 'model refused the prompt' }) });
    const manager = harness.manager();
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    const id = parse(await manager.dispatch(ctx(), '{"prompt":"doomed"}'))['id'];
    await queued(manager, id, 'FAILED');

    expect(await runTasksCli(['list'], io, manager)).toBe(0);
    expect(lines[0]).toBe('TASK\tSTATUS\tPLUGIN\tAGENT\tUPDATED\tTITLE\tDETAIL');
    const row = lines[1]!.split('\t');
    expect(row.slice(0, 3)).toEqual([id, 'failed', 'js.plugin']);
    expect(row[6]).toContain('model refused the prompt');
    lines.length = 0;
    expect(await runTasksCli(['list', '--json'], io, manager)).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toEqual([expect.objectContaining({ taskId: id, status: 'failed', summary: expect.stringContaining('model refused'), question: null })]);
    expect(await runTasksCli(['list', '--verbose'], io, manager)).toBe(2);

    lines.length = 0;
    expect(await runTasksCli(['watch', id.toLowerCase()], io, manager)).toBe(0);
    expect(lines).toHaveLength(1);
    const [, watchedId, name, json] = lines[0]!.split('\t');
    expect([watchedId, name]).toEqual([id, 'FAILED']);
    expect(JSON.parse(json!)).toMatchObject({ status: 'failed', title: 'doomed', summary: expect.stringContaining('model refused the prompt') });

    expect(await runTasksCli(['watch', '00000000-0000-4000-8000-000000000000'], io, manager)).toBe(1);
    expect(lines.at(-1)).toMatch(/^ERR osr-host: no task 00000000-0000-4000-8000-000000000000/);
  });

  it('watch prints events until the watched task ends; usage errors exit 2', async () => {
    harness = await Harness.start({ reply: () => ({ kind: 'text', tokens: ['fine'] }) });
    const manager = harness.manager();
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    const abort = new AbortController();
    const watchingAll = runTasksCli(['watch'], { ...io, signal: abort.signal }, manager);
    const id = parse(await manager.dispatch(ctx(), '{"prompt":"watch me"}'))['id'];
    const watchingOne = runTasksCli(['watch', id.toLowerCase()], io, manager);
    await queued(manager, id, 'COMPLETED');
    expect(await watchingOne).toBe(0);
    abort.abort();
    expect(await watchingAll).toBe(0);
    const completed = `{"output":"fine","session_id":"${id}","success":true,"summary":"Chat completed","title":"watch me"}`;
    expect(lines.map((line) => line.split('\t').slice(1))).toEqual([
      [id, 'STARTED', '{"status":"running","title":"watch me"}'],
      [id, 'OUTPUT', '{"text":"fine","title":"watch me"}'],
      [id, 'OUTPUT', '{"text":"fine","title":"watch me"}'],
      [id, 'COMPLETED', completed],
      [id, 'COMPLETED', completed],
    ]);
    expect(await runTasksCli(['answer', id], io, manager)).toBe(2);
    expect(await runTasksCli(['frobnicate'], io, manager)).toBe(2);
    expect(lines.at(-1)).toContain('usage: osr-host tasks list');
    expect(() => manager.answer('00000000-0000-4000-8000-000000000000', 'x')).toThrow(
      expect.objectContaining({ code: 'task_not_found' }),
    );
  });
});

it('holds events until release and delivers each task in order', async () => {
  harness = await Harness.start({ reply: () => ({ kind: 'text', tokens: ['a'] }) });
  const delivered: string[] = [];
  const manager = harness.manager({
    plugins: {
      get: (id) => ({
        id,
        instance: {
          invokeTool: async () => '{"ok":false}',
          taskEvent: async (taskId, type) => {
            delivered.push(`${taskId}:${type}`);
            return true;
          },
        },
        manifest: {},
        directory: '/plugins',
      }),
    },
  });
  const held = manager.dispatchHeld(ctx(), '{"prompt":"x"}');
  const id = parse(held.response)['id'];
  await queued(manager, id, 'COMPLETED');
  expect(delivered).toEqual([]);
  held.release();
  await manager.drainPluginEvents('js.plugin');
  expect(delivered).toEqual([`${id}:${T.STARTED}`, `${id}:${T.OUTPUT}`, `${id}:${T.COMPLETED}`]);
});
