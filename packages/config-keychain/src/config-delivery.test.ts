import { DEFAULT_AGENT_ID, type PluginEntry } from '@osr-host/abi';
import { describe, expect, it, vi } from 'vitest';
import {
  type ConfigChange,
  ConfigDelivery,
  ConfigKeychainError,
  ConfigStore,
  type ConfigTarget,
  composeFullPush,
  MemorySecretStore,
  renderConfigDefault,
} from './index.js';

const pluginA = 'com.example.mail';
const pluginB = 'com.example.calendar';
const agent = '6F1D2C3B-0000-4000-8000-00000000000A';
const otherAgent = '6F1D2C3B-0000-4000-8000-00000000000B';

type Delivered = [pluginId: string, agentId: string | null, key: string, value: string];

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** A plugin directory whose plugins record what they were delivered; `add` loads one more. */
function setup(deliverImpl?: (...args: Delivered) => Promise<void>) {
  const delivered: Delivered[] = [];
  const warn = vi.fn<(key: string, message: string) => void>();
  const entries = new Map<string, PluginEntry<ConfigTarget>>();
  const add = (id: string, abi: number, supportsConfigChanges: boolean) => {
    const instance: ConfigTarget = {
      abi,
      supportsConfigChanges,
      configChanged: async (key, value, { agentId }) => {
        await deliverImpl?.(id, agentId, key, value);
        delivered.push([id, agentId, key, value]);
        return true;
      },
    };
    entries.set(id, { id, instance, manifest: {}, directory: `/plugins/${id}` });
  };
  add(pluginA, 6, true);
  add(pluginB, 2, true);
  const delivery = new ConfigDelivery({ warn, plugins: { get: (id) => entries.get(id) } });
  delivery.attach(pluginA);
  delivery.attach(pluginB);
  return { delivery, delivered, warn, add };
}

describe('ConfigDelivery', () => {
  it('delivers to one plugin one change at a time, in order, while other plugins proceed', async () => {
    const events: string[] = [];
    const gate = deferred();
    const { delivery } = setup(async (pluginId, _agent, key) => {
      events.push(`start ${pluginId} ${key}`);
      if (key === 'first') await gate.promise;
      events.push(`end ${pluginId} ${key}`);
    });
    const first = delivery.notifyAndWait(pluginA, agent, [['first', '1']]);
    const second = delivery.notifyAndWait(pluginA, agent, [['second', '2']]);
    await delivery.notifyAndWait(pluginB, agent, [['other', '3']]);
    expect(events).toEqual(['start com.example.mail first', 'start com.example.calendar other', 'end com.example.calendar other']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(events.slice(3)).toEqual([
      'end com.example.mail first',
      'start com.example.mail second',
      'end com.example.mail second',
    ]);
  });

  it('resolves the synchronous variant only after the plugin has handled the change', async () => {
    const gate = deferred();
    let handled = false;
    const { delivery } = setup(async () => {
      await gate.promise;
      handled = true;
    });
    const waiting = delivery.notifyAndWait(pluginA, agent, [['key', 'value']]).then((keys) => ({ handled, keys }));
    gate.resolve();
    expect(await waiting).toEqual({ handled: true, keys: ['key'] });
  });

  it('queues the async variant and returns before delivering', async () => {
    const { delivery, delivered } = setup();
    delivery.notify(pluginA, agent, [['key', 'value']]);
    expect(delivered).toEqual([]);
    await delivery.whenIdle(pluginA);
    expect(delivered).toEqual([[pluginA, agent, 'key', 'value']]);
  });

  it('drops a value equal to the last one delivered for the same (agent, key), across both variants', async () => {
    const { delivery, delivered } = setup();
    delivery.notify(pluginA, agent, [['key', 'v1']]);
    expect(await delivery.notifyAndWait(pluginA, agent, [['key', 'v1']])).toEqual([]);
    expect(await delivery.notifyAndWait(pluginA, otherAgent, [['key', 'v1']])).toEqual(['key']);
    expect(await delivery.notifyAndWait(pluginA, null, [['key', 'v1']])).toEqual(['key']);
    expect(await delivery.notifyAndWait(pluginA, agent.toLowerCase(), [['key', 'v1']])).toEqual([]);
    expect(await delivery.notifyAndWait(pluginA, agent, [['key', 'v2']])).toEqual(['key']);
    expect(await delivery.notifyAndWait(pluginA, agent, [['key', 'v1']])).toEqual(['key']);
    expect(delivered.map(([, agentId, , value]) => `${agentId}=${value}`)).toEqual([
      `${agent}=v1`,
      `${otherAgent}=v1`,
      'null=v1',
      `${agent}=v2`,
      `${agent}=v1`,
    ]);
  });

  it('force delivers a duplicate and still updates the cache', async () => {
    const { delivery } = setup();
    await delivery.notifyAndWait(pluginA, agent, [['tunnel_url', 'https://a']]);
    expect(await delivery.notifyAndWait(pluginA, agent, [['tunnel_url', 'https://a']], { force: true })).toEqual([
      'tunnel_url',
    ]);
    expect(await delivery.notifyAndWait(pluginA, agent, [['tunnel_url', 'https://b']], { force: true })).toEqual([
      'tunnel_url',
    ]);
    expect(await delivery.notifyAndWait(pluginA, agent, [['tunnel_url', 'https://b']])).toEqual([]);
  });

  it.each([
    ['a v1 plugin', 'v1', 1, true],
    ['a plugin without on_config_changed', 'nohandler', 6, false],
  ])('never delivers to %s', async (_label, pluginId, abi, supportsConfigChanges) => {
    const { delivery, delivered, add } = setup();
    add(pluginId, abi, supportsConfigChanges);
    delivery.attach(pluginId);
    delivery.attach('not.in.the.directory');
    delivery.notify(pluginId, agent, [['key', 'value']]);
    expect(await delivery.notifyAndWait(pluginId, agent, [['key', 'value']], { force: true })).toEqual([]);
    expect(await delivery.notifyAndWait('not.loaded', agent, [['key', 'value']])).toEqual([]);
    expect(await delivery.notifyAndWait('not.in.the.directory', agent, [['key', 'value']])).toEqual([]);
    await delivery.whenIdle(pluginId);
    expect(delivered).toEqual([]);
  });

  it('stops a batch at a failed delivery, rejects the synchronous caller and keeps the failed value undelivered', async () => {
    let failKey: string | undefined = 'b';
    const { delivery, delivered } = setup(async (_plugin, _agent, key) => {
      if (key === failKey) throw new Error('plugin unloaded');
    });
    const batch: ConfigChange[] = [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ];
    const error = await delivery.notifyAndWait(pluginA, agent, batch).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigKeychainError);
    expect(error).toMatchObject({ code: 'delivery_failed', message: expect.stringContaining('"b"') });
    expect(delivered.map(([, , key]) => key)).toEqual(['a']);
    failKey = undefined;
    expect(await delivery.notifyAndWait(pluginA, agent, batch)).toEqual(['b', 'c']);
  });

  it('turns async delivery failures into a one-shot warning and keeps the queue going', async () => {
    const { delivery, delivered, warn } = setup(async (_plugin, _agent, key) => {
      if (key === 'broken') throw new Error('plugin unloaded');
    });
    delivery.notify(pluginA, agent, [['broken', '1']]);
    delivery.notify(pluginA, agent, [['broken', '2']]);
    delivery.notify(pluginA, agent, [['fine', '3']]);
    await delivery.whenIdle(pluginA);
    expect(delivered.map(([, , key]) => key)).toEqual(['fine']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toBe(`${pluginA}|on_config_changed|delivery_failed`);
  });

  it("never echoes a plugin's own config_set, and a later host change back to the old value is delivered", async () => {
    const { delivery, delivered } = setup();
    const config = new ConfigStore({
      secrets: new MemorySecretStore(),
      warn: () => undefined,
      onPluginWrite: (pluginId, agentId, key, value) => delivery.notePluginWrite(pluginId, agentId, key, value),
    });
    await delivery.notifyAndWait(pluginA, agent, [['mode', 'fast']]);
    await config.configSet({ pluginId: pluginA, agentId: agent }, 'mode', 'slow');
    await delivery.whenIdle(pluginA);
    expect(delivered.map(([, , key, value]) => `${key}=${value}`)).toEqual(['mode=fast']);
    expect(await delivery.notifyAndWait(pluginA, agent, [['mode', 'fast']])).toEqual(['mode']);
    await config.configDelete({ pluginId: pluginA, agentId: agent }, 'mode');
    expect(await delivery.notifyAndWait(pluginA, agent, [['mode', 'fast']])).toEqual(['mode']);
  });

  it('detach waits for queued deliveries, then stops deliveries and forgets the cache', async () => {
    const gate = deferred();
    const { delivery, delivered } = setup(async () => gate.promise);
    delivery.notify(pluginA, agent, [['key', 'value']]);
    const detached = delivery.detach(pluginA).then(() => delivered.length);
    delivery.notify(pluginA, agent, [['after', 'detach']]);
    gate.resolve();
    expect(await detached).toBe(1);
    delivery.attach(pluginA);
    expect(await delivery.notifyAndWait(pluginA, agent, [['key', 'value']])).toEqual(['key']);
    expect(delivered.map(([, , key]) => key)).toEqual(['key', 'key']);
  });
});

describe('renderConfigDefault', () => {
  it.each([
    [true, 'true'],
    [false, 'false'],
    [5, '5.0'],
    [-2, '-2.0'],
    [3.14, '3.14'],
    [0, '0.0'],
    [0.00001, '1e-05'],
    [1e16, '1e+16'],
    [2.5e-7, '2.5e-07'],
    ['text', 'text'],
    [['a', 'b'], '["a","b"]'],
  ] as const)('renders %j as %s', (value, rendered) => {
    expect(renderConfigDefault(value)).toBe(rendered);
  });
});

describe('composeFullPush', () => {
  it("pushes each declared field's stored value, else its default, and nothing undeclared", async () => {
    const config = new ConfigStore({ secrets: new MemorySecretStore(), warn: () => undefined });
    await config.set({ pluginId: pluginA, agentId: agent }, 'token', 'stored-token');
    await config.set({ pluginId: pluginA }, 'region', 'eu');
    await config.set({ pluginId: pluginA, agentId: agent }, 'connected', 'yes');
    await config.set({ pluginId: pluginA, agentId: agent }, 'undeclared', 'kept-back');
    const fields = [
      { key: 'token', type: 'secret' },
      { key: 'region', type: 'select', default: 'us' },
      { key: 'retries', type: 'number', default: 3 },
      { key: 'verbose', type: 'toggle', default: false },
      { key: 'connected', type: 'status', default: 'no' },
      { key: 'status_label', type: 'readonly', default: 'shown in the UI only' },
      { key: 'missing', type: 'text' },
    ];
    expect(await composeFullPush(config, pluginA, agent, fields)).toEqual([
      ['token', 'stored-token'],
      ['region', 'eu'],
      ['retries', '3.0'],
      ['verbose', 'false'],
      ['connected', 'yes'],
    ]);
    expect(await composeFullPush(config, pluginA, null, fields)).toEqual([
      ['region', 'eu'],
      ['retries', '3.0'],
      ['verbose', 'false'],
    ]);
    expect(await composeFullPush(config, pluginA, DEFAULT_AGENT_ID, fields)).toEqual(
      await composeFullPush(config, pluginA, null, fields),
    );
  });

  it('pushes nothing to a plugin that declares no config', async () => {
    const config = new ConfigStore({ secrets: new MemorySecretStore(), warn: () => undefined });
    await config.set({ pluginId: pluginA, agentId: agent }, 'token', 'stored');
    expect(await composeFullPush(config, pluginA, agent, undefined)).toEqual([]);
  });
});
