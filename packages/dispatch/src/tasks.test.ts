import type { ReceivedChatRequest, ScriptedReply } from '@osr-host/inference-stream/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { runTasksCli } from './cli.js';
import { TASK_EVENT as T } from '@osr-host/abi';
import { AGENT, call, dispatch, Harness, type Json, recorded, slot, taskEvents, UPPER_UUID } from './test-support/fixture.js';

let harness: Harness;
afterEach(async () => {
  await harness.close();
});

/** A model that answers each request with the next scripted reply (the last one repeats). */
function scripted(...replies: ScriptedReply[]) {
  return { reply: (_request: ReceivedChatRequest, index: number) => replies[Math.min(index, replies.length - 1)]! };
}

const toolNames = (request: ReceivedChatRequest) => (request.tools ?? []).map((tool) => (tool as Json)['function'].name);

describe('a dispatched task, through a C plugin', () => {
  it('runs a multi-turn tool loop and reports every step in order, after dispatch() returned, under the task agent', async () => {
    harness = await Harness.start(
      scripted(
        { kind: 'tool_calls', calls: [{ name: 'lookup', arguments: '{"word":"osr"}' }], tokens: ['Let me check.'] },
        { kind: 'text', tokens: ['It ', 'means ', 'host.'] },
      ),
    );
    const manager = harness.manager();
    const plugin = await harness.load(manager);

    const id = await dispatch(plugin, { prompt: 'What does osr mean?', title: 'Define osr' });
    expect(id).toMatch(UPPER_UUID);
    await harness.waitForEvent(id, T.COMPLETED);

    const entries = await recorded(plugin);
    const answerIndex = entries.findIndex((entry) => entry.type === -1);
    const firstEvent = entries.findIndex((entry) => entry.task === id);
    expect(JSON.parse(entries[answerIndex]!.json)).toEqual({ id, status: 'running' });
    expect(answerIndex).toBeLessThan(firstEvent);
    expect(entries.filter((entry) => entry.task === id).every((entry) => entry.agent === AGENT)).toBe(true);

    const events = await taskEvents(plugin, id);
    expect(events.map(([type]) => type)).toEqual([T.STARTED, T.OUTPUT, T.ACTIVITY, T.PROGRESS, T.OUTPUT, T.COMPLETED]);
    expect(events[0]![1]).toEqual({ status: 'running', title: 'Define osr' });
    expect(events[1]![1]).toEqual({ text: 'Let me check.', title: 'Define osr' });
    expect(events[2]![1]).toEqual({ kind: 'tool', title: 'Tool', detail: 'lookup', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect(events[3]![1]).toEqual({ progress: 1, title: 'Define osr', current_step: 'lookup' });
    expect(events[4]![1]).toEqual({ text: 'It means host.', title: 'Define osr' });
    expect(events[5]![1]).toEqual({ success: true, summary: 'Chat completed', title: 'Define osr', session_id: id, output: 'It means host.' });

    const [first, second] = harness.server.responses.map((response) => response.request);
    expect(toolNames(first!)).toEqual(['lookup', 'clarify']);
    expect(first!.messages).toEqual([{ role: 'user', content: 'What does osr mean?' }]);
    const toolTurn = second!.messages.find((message) => message['role'] === 'tool');
    expect(JSON.parse(toolTurn!['content'] as string)).toEqual({ ok: true, result: { value: 'found {"word":"osr"}' } });

    expect(await slot(plugin, 'task_status', id)).toEqual({
      id,
      title: 'Define osr',
      status: 'completed',
      success: true,
      summary: 'Chat completed',
      session_id: id,
      output: 'It means host.',
    });
    expect(await slot(plugin, 'list_active_tasks')).toEqual({ tasks: [] });
  });

  it('pauses on clarify, suppresses COMPLETED, and resumes the same task and session when the operator answers', async () => {
    harness = await Harness.start(
      scripted(
        { kind: 'tool_calls', calls: [{ name: 'clarify', arguments: '{"question":"Which city?"}' }] },
        { kind: 'text', tokens: ['Sunny in Paris.'] },
      ),
    );
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Weather?', title: 'Weather' });
    await harness.waitForEvent(id, T.CLARIFICATION);

    expect(await slot(plugin, 'task_status', id)).toEqual({ id, title: 'Weather', status: 'running' });
    expect((await slot(plugin, 'list_active_tasks'))!['tasks']).toEqual([{ id, title: 'Weather', status: 'running' }]);
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    expect(await runTasksCli(['list'], io, manager)).toBe(0);
    expect(lines.at(-1)!.split('\t')).toEqual([id, 'awaiting_clarification', 'dispatch.fixture', AGENT, expect.any(String), 'Weather', 'asks "Which city?"']);

    expect(await runTasksCli(['answer', id.toLowerCase(), 'Paris,', 'France'], io, manager)).toBe(0);
    await harness.waitForEvent(id, T.COMPLETED);
    const events = await taskEvents(plugin, id);
    expect(events.map(([type]) => type)).toEqual([T.STARTED, T.CLARIFICATION, T.OUTPUT, T.COMPLETED]);
    expect(events[1]![1]).toEqual({ question: 'Which city?', allow_multiple: false });

    const resumed = harness.server.responses[1]!.request.messages;
    expect(resumed.map((message) => message['role'])).toEqual(['user', 'assistant', 'tool']);
    expect(JSON.parse(resumed[2]!['content'] as string)).toEqual({ ok: true, result: { answer: 'Paris, France' } });
    expect(await runTasksCli(['answer', id, 'again'], io, manager)).toBe(1);
    expect(lines.at(-1)).toBe(`ERR osr-host: Task ${id} is completed, not waiting for an answer; nothing was sent.`);
  });

  it('queues dispatches past the running limit in FIFO order, reports them queued, and lets a task awaiting clarification give up its slot', async () => {
    const firstPrompt = (request: ReceivedChatRequest) => String(request.messages[0]!['content']);
    harness = await Harness.start({
      reply: (request): ScriptedReply => {
        const prompt = firstPrompt(request);
        if (prompt === 'ask') {
          return request.messages.at(-1)!['role'] === 'tool'
            ? { kind: 'text', tokens: ['answered'] }
            : { kind: 'tool_calls', calls: [{ name: 'clarify', arguments: '{"question":"Which?"}' }] };
        }
        return prompt === 'hang' ? { kind: 'hang' } : { kind: 'text', tokens: [`done ${prompt}`] };
      },
    });
    const manager = harness.manager({ limits: { maxActiveTasksPerAgent: 1 } });
    const plugin = await harness.load(manager);

    const asking = await dispatch(plugin, { prompt: 'ask', title: 'Asking' });
    await harness.waitForEvent(asking, T.CLARIFICATION);
    const hanging = await dispatch(plugin, { prompt: 'hang', title: 'Hanging' });
    await harness.waitForEvent(hanging, T.STARTED);
    const answers: Json[] = [];
    for (const title of ['second', 'third']) answers.push((await slot(plugin, 'dispatch', JSON.stringify({ prompt: title, title })))!);
    const [second, third] = answers.map((answer) => answer['id'] as string);
    expect(answers).toEqual([
      { id: second, status: 'running' },
      { id: third, status: 'running' },
    ]);
    expect(await slot(plugin, 'task_status', second!)).toEqual({ id: second, title: 'second', status: 'queued', current_step: 'Queued' });
    const active = (await slot(plugin, 'list_active_tasks'))!['tasks'] as Json[];
    expect(active.map((task) => [task['title'], task['status']])).toEqual([
      ['Asking', 'running'],
      ['Hanging', 'running'],
      ['second', 'queued'],
      ['third', 'queued'],
    ]);
    expect(await taskEvents(plugin, second!)).toEqual([]);

    await slot(plugin, 'dispatch_cancel', hanging);
    await harness.waitForEvent(third!, T.COMPLETED);
    const order = (await recorded(plugin)).filter((entry) => entry.type === T.STARTED).map((entry) => entry.task);
    expect(order).toEqual([asking, hanging, second, third]);

    expect(await runTasksCli(['answer', asking, 'this one'], { out: () => {}, err: () => {} }, manager)).toBe(0);
    await harness.waitForEvent(asking, T.COMPLETED);
    expect((await taskEvents(plugin, asking)).map(([type]) => type)).toEqual([T.STARTED, T.CLARIFICATION, T.OUTPUT, T.COMPLETED]);
  });

  it('offers clarify options and cancels a paused task from the CLI', async () => {
    harness = await Harness.start(
      scripted({ kind: 'tool_calls', calls: [{ name: 'clarify', arguments: '{"question":"Pick","options":["a","b"],"allow_multiple":true}' }] }),
    );
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Choose for me' });
    expect((await harness.waitForEvent(id, T.CLARIFICATION)).json).toBe('{"allow_multiple":true,"options":["a","b"],"question":"Pick"}');

    const lines: string[] = [];
    expect(await runTasksCli(['cancel', id], { out: (line) => lines.push(line), err: (line) => lines.push(line) }, manager)).toBe(0);
    await harness.waitForEvent(id, T.CANCELLED);
    expect((await taskEvents(plugin, id)).map(([type, payload]) => [type, payload])).toEqual([
      [T.STARTED, { status: 'running', title: 'Choose for me' }],
      [T.CLARIFICATION, { question: 'Pick', options: ['a', 'b'], allow_multiple: true }],
      [T.CANCELLED, { title: 'Choose for me' }],
    ]);
    expect(await slot(plugin, 'task_status', id)).toEqual({ id, title: 'Choose for me', status: 'cancelled' });
    expect(await runTasksCli(['cancel', id], { out: (line) => lines.push(line), err: (line) => lines.push(line) }, manager)).toBe(1);
  });

  it('dispatch_cancel stops the stream at the model server and emits CANCELLED', async () => {
    harness = await Harness.start(scripted({ kind: 'hang' }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Take forever' });
    await harness.waitForRequests(1);
    const disconnected = harness.server.nextClientDisconnect();

    expect(await slot(plugin, 'dispatch_cancel', id)).toBeNull();
    await disconnected;
    await harness.waitForEvent(id, T.CANCELLED);
    expect((await taskEvents(plugin, id)).map(([type]) => type)).toEqual([T.STARTED, T.CANCELLED]);
    expect(await slot(plugin, 'task_status', id)).toEqual({ id, title: 'Take forever', status: 'cancelled' });
    await manager.close();
    expect(harness.server.responses).toHaveLength(1);
  });

  it('dispatch_interrupt appends the trimmed message as a user turn, stops the stream, and a follow-up dispatch sees it', async () => {
    harness = await Harness.start(scripted({ kind: 'stall', tokens: ['Working'] }, { kind: 'text', tokens: ['Summary.'] }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Write a long report', session_id: 'report' });
    await harness.waitForRequests(1);
    const disconnected = harness.server.nextClientDisconnect();

    await slot(plugin, 'dispatch_interrupt', `${id}\n  Stop and summarise.  `);
    await disconnected;
    expect(JSON.parse((await harness.waitForEvent(id, T.COMPLETED)).json)).toEqual({
      success: true,
      summary: 'Chat completed',
      title: 'Write a long report',
      session_id: id,
    });

    const followUp = await dispatch(plugin, { prompt: 'Go on', session_id: 'report' });
    expect(followUp).toBe(id);
    await harness.waitForEvent(id, T.OUTPUT);
    expect(harness.server.responses[1]!.request.messages).toEqual([
      { role: 'user', content: 'Write a long report' },
      { role: 'user', content: 'Stop and summarise.' },
      { role: 'user', content: 'Go on' },
    ]);
  });

  it('a NULL interrupt message soft-stops without a user turn', async () => {
    harness = await Harness.start(scripted({ kind: 'stall', tokens: ['Working'] }, { kind: 'text', tokens: ['ok'] }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Start', session_id: 's' });
    await harness.waitForRequests(1);
    await call(plugin, 'null.dispatch_interrupt', id);
    await harness.waitForEvent(id, T.COMPLETED);
    await dispatch(plugin, { prompt: 'Again', session_id: 's' });
    await harness.waitForRequests(2);
    expect(harness.server.responses[1]!.request.messages.map((message) => message['content'])).toEqual(['Start', 'Again']);
  });

  it('send_draft stores the draft and emits DRAFT; task_status shows it parsed', async () => {
    harness = await Harness.start(scripted({ kind: 'hang' }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'Draft a reply', title: 'Reply' });

    await slot(plugin, 'send_draft', `${id}\n{"text":"Hi there","parse_mode":"markdown"}`);
    await slot(plugin, 'send_draft', `${id}\nnot json`);
    await harness.waitForDelivery((event) => event.taskId === id && event.json === '{"title":"Reply"}');
    expect((await taskEvents(plugin, id)).filter(([type]) => type === T.DRAFT)).toEqual([
      [T.DRAFT, { title: 'Reply', draft: { text: 'Hi there', parse_mode: 'markdown' } }],
      [T.DRAFT, { title: 'Reply' }],
    ]);
    await slot(plugin, 'send_draft', `${id}\n{"text":"v3"}`);
    expect(await slot(plugin, 'task_status', id)).toEqual({ id, title: 'Reply', status: 'running', draft: { text: 'v3' } });
  });
});

describe('ownership and agent scope', () => {
  it("answers not_found for another plugin's task and ignores its cancel, draft and interrupt with one-shot warnings", async () => {
    harness = await Harness.start(scripted({ kind: 'hang' }));
    const manager = harness.manager();
    const owner = await harness.load(manager, 'owner.plugin');
    const other = await harness.load(manager, 'other.plugin');
    const id = await dispatch(owner, { prompt: 'Mine' });

    expect(await slot(other, 'task_status', id)).toEqual({ error: 'not_found', message: 'Task not found' });
    expect(await slot(other, 'list_active_tasks')).toEqual({ tasks: [] });
    for (const name of ['dispatch_cancel', 'dispatch_cancel', 'send_draft', 'dispatch_interrupt']) {
      await slot(other, name, `${id}\n{"text":"x"}`.slice(0, name === 'send_draft' ? undefined : id.length));
    }
    await slot(other, 'dispatch_cancel', 'not-a-uuid');
    expect((await slot(owner, 'task_status', id))!['status']).toBe('running');
    expect(harness.warnings.map((warning) => warning.key)).toEqual([
      'other.plugin|dispatch_cancel|unowned',
      'other.plugin|send_draft|unowned',
      'other.plugin|dispatch_interrupt|unowned',
      'other.plugin|dispatch_cancel|invalid',
    ]);
    expect(harness.warnings[3]!.message).toBe(
      "Plugin 'other.plugin' called dispatch_cancel with an invalid UUID 'not-a-uuid'. The call was a no-op. This warning is logged once per plugin per op per process.",
    );
    expect(await slot(owner, 'task_status', 'not-a-uuid')).toEqual({ error: 'invalid_task_id', message: 'Invalid UUID format' });
    expect(await slot(owner, 'task_status', id.toLowerCase())).toMatchObject({ id, status: 'running' });
  });

  it('refuses the Default agent and a thread without an agent with built_in_agent_not_exposable', async () => {
    harness = await Harness.start();
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const refused = {
      error: 'built_in_agent_not_exposable',
      message:
        'Built-in agent 00000000-0000-0000-0000-000000000001 is not reachable from plugin/planDispatch. Built-in agents (including the Default agent) are only available inside the Osaurus app.',
    };
    expect(await slot(plugin, 'dispatch', '{"prompt":"hi"}', '00000000-0000-0000-0000-000000000001')).toEqual(refused);
    expect(JSON.parse((await call(plugin, 'thread.dispatch', '{"prompt":"hi"}')) as string)).toEqual(refused);
    expect(harness.warnings.map((warning) => warning.key)).toEqual(['dispatch.fixture|dispatch|no_agent_context']);
    expect(harness.server.responses).toHaveLength(0);
  });

  it('ignores agent_id / agent_address with one warning and runs under the frame agent', async () => {
    harness = await Harness.start(scripted({ kind: 'text', tokens: ['ok'] }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    const id = await dispatch(plugin, { prompt: 'hi', agent_id: 'B1A7E5C2-0000-4000-8000-000000000000' });
    await dispatch(plugin, { prompt: 'hi', agent_address: 'agent://elsewhere' });
    await harness.waitForEvent(id, T.COMPLETED);
    expect(harness.warnings.map((warning) => warning.key)).toEqual(['dispatch.fixture|dispatch|agent_override']);
    expect(harness.warnings[0]!.message).toContain("explicit agent identifier 'B1A7E5C2-0000-4000-8000-000000000000' to dispatch");
    expect((await recorded(plugin)).filter((entry) => entry.task === id).map((entry) => entry.agent)).toEqual([AGENT, AGENT, AGENT]);
  });
});

describe('event delivery', () => {
  it("a plugin whose on_task_event blocks does not stall another plugin's tasks; unloading drains its events", async () => {
    harness = await Harness.start(scripted({ kind: 'text', tokens: ['done'] }));
    const manager = harness.manager();
    const stuck = await harness.load(manager, 'stuck.plugin');
    const healthy = await harness.load(manager, 'healthy.plugin');
    await call(stuck, 'block_events');

    const stuckTask = await dispatch(stuck, { prompt: 'one' });
    const healthyTask = await dispatch(healthy, { prompt: 'two' });
    let drained = false;
    const drain = manager.drainPluginEvents('stuck.plugin').then(() => {
      drained = true;
    });
    await harness.waitForEvent(healthyTask, T.COMPLETED);
    expect(await taskEvents(healthy, healthyTask)).toHaveLength(3);
    expect(drained).toBe(false);

    await call(stuck, 'release_events');
    await drain;
    expect((await taskEvents(stuck, stuckTask)).map(([type]) => type)).toEqual([T.STARTED, T.OUTPUT, T.COMPLETED]);
  });

  it('a delivery that fails is warned about once and the task still finishes', async () => {
    harness = await Harness.start(scripted({ kind: 'text', tokens: ['done'] }));
    const manager = harness.manager();
    const plugin = await harness.load(manager);
    harness.failingDeliveries.add('dispatch.fixture');
    const completed = new Promise<void>((resolve) =>
      manager.events.on('taskEvent', (event) => {
        if (event.name === 'COMPLETED') resolve();
      }),
    );
    const id = await dispatch(plugin, { prompt: 'go' });
    await completed;
    await manager.drainPluginEvents('dispatch.fixture');
    expect(harness.delivered).toEqual([]);
    await manager.close();
    expect(harness.warnings.map((warning) => warning.key)).toEqual(['dispatch.fixture|on_task_event|failed']);
    expect(manager.history()[0]).toMatchObject({ taskId: id, status: 'completed', summary: 'Chat completed' });
  });
});
