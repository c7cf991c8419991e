import { DEFAULT_AGENT_ID } from '@osr-host/abi';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  type ConfigContext,
  ConfigKeychainError,
  ConfigStore,
  configValueMaxBytes,
  EncryptedFileSecretStore,
  MemorySecretStore,
} from './index.js';

const plugin = 'com.example.mail';
const agentA = '6F1D2C3B-0000-4000-8000-00000000000A';
const agentB = '6F1D2C3B-0000-4000-8000-00000000000B';

function setup(options: { secrets?: MemorySecretStore | EncryptedFileSecretStore } = {}) {
  const secrets = options.secrets ?? new MemorySecretStore();
  const warn = vi.fn<(key: string, message: string) => void>();
  const pluginWrites: unknown[][] = [];
  const config = new ConfigStore({ secrets, warn, onPluginWrite: (...args) => pluginWrites.push(args) });
  return { secrets, warn, config, pluginWrites };
}

const frame = (agentId: string | null): ConfigContext => ({ pluginId: plugin, agentId });

describe('ConfigStore plugin slots', () => {
  it('stores and reads per agent', async () => {
    const { config } = setup();
    await config.configSet(frame(agentA), 'token', 'for-a');
    expect(await config.configGet(frame(agentA), 'token')).toBe('for-a');
    expect(await config.configGet(frame(agentB), 'token')).toBeNull();
  });

  it("falls back to the Default agent's value when the agent has none", async () => {
    const { config } = setup();
    await config.set({ pluginId: plugin }, 'region', 'plugin-wide');
    expect(await config.configGet(frame(agentA), 'region')).toBe('plugin-wide');
    await config.configSet(frame(agentA), 'region', 'own');
    expect(await config.configGet(frame(agentA), 'region')).toBe('own');
    expect(await config.configGet(frame(agentB), 'region')).toBe('plugin-wide');
    await config.configDelete(frame(agentA), 'region');
    expect(await config.configGet(frame(agentA), 'region')).toBe('plugin-wide');
  });

  it('treats "" as a stored value: it hides the Default value, deletion reveals it', async () => {
    const { config } = setup();
    await config.set({ pluginId: plugin }, 'name', 'default-name');
    await config.configSet(frame(agentA), 'name', '');
    expect(await config.configGet(frame(agentA), 'name')).toBe('');
    await config.configDelete(frame(agentA), 'name');
    expect(await config.configGet(frame(agentA), 'name')).toBe('default-name');
  });

  it.each([
    ['no agent', null],
    ['the Default agent', DEFAULT_AGENT_ID],
    ['a non-UUID agent id', 'not-a-uuid'],
  ])('gives %s no config: reads NULL, writes and deletes dropped, each op warned once', async (_label, agentId) => {
    const { config, warn, pluginWrites } = setup();
    await config.set({ pluginId: plugin }, 'key', 'plugin-wide');
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await config.configGet(frame(agentId), 'key')).toBeNull();
      await config.configSet(frame(agentId), 'key', 'dropped');
      await config.configDelete(frame(agentId), 'key');
    }
    expect(await config.get({ pluginId: plugin }, 'key')).toBe('plugin-wide');
    expect(await config.listKeys({ pluginId: plugin })).toEqual(['key']);
    expect(pluginWrites).toEqual([]);
    expect(warn.mock.calls.map(([key]) => key)).toEqual([
      `${plugin}|config_get|no_agent_context`,
      `${plugin}|config_set|no_agent_context`,
      `${plugin}|config_delete|no_agent_context`,
    ]);
  });

  it('accepts exactly 1 MiB and drops one byte more, warning once per key, before the agent check', async () => {
    const { config, warn } = setup();
    const limit = 'x'.repeat(configValueMaxBytes);
    await config.configSet(frame(agentA), 'blob', limit);
    expect(await config.configGet(frame(agentA), 'blob')).toBe(limit);

    // 524 289 two-byte characters: under 1 MiB in characters, over it in UTF-8 bytes.
    const overInBytes = 'é'.repeat(configValueMaxBytes / 2 + 1);
    await config.configSet(frame(agentA), 'blob', overInBytes);
    await config.configSet(frame(agentA), 'blob', overInBytes);
    expect(await config.configGet(frame(agentA), 'blob')).toBe(limit);
    await config.configSet(frame(null), 'other', overInBytes);
    expect(warn.mock.calls.map(([key]) => key)).toEqual([
      `${plugin}|config_set|too_large|blob`,
      `${plugin}|config_set|too_large|other`,
    ]);
    expect(warn.mock.calls[0]?.[1]).toContain(`${configValueMaxBytes + 2}-byte value`);
  });

  it('rejects keys containing NUL cleanly and ignores NULL pointers', async () => {
    const { config, warn, secrets } = setup();
    expect(await config.configGet(frame(agentA), 'a\0b')).toBeNull();
    await config.configSet(frame(agentA), 'a\0b', 'value');
    await config.configDelete(frame(agentA), 'a\0b');
    expect(await config.configGet(frame(agentA), null)).toBeNull();
    await config.configSet(frame(agentA), null, 'value');
    await config.configSet(frame(agentA), 'key', null);
    await config.configDelete(frame(agentA), null);
    expect(await secrets.findCredentials(config.serviceFor(plugin))).toEqual([]);
    expect(warn.mock.calls.map(([key]) => key)).toEqual([
      `${plugin}|config_get|invalid_key`,
      `${plugin}|config_set|invalid_key`,
      `${plugin}|config_delete|invalid_key`,
    ]);
  });

  it('matches agent ids case-insensitively', async () => {
    const { config } = setup();
    await config.configSet(frame(agentA.toLowerCase()), 'key', 'value');
    expect(await config.get({ pluginId: plugin, agentId: agentA }, 'key')).toBe('value');
  });

  it('reports successful plugin writes (for the delivery cache), never dropped ones', async () => {
    const { config, pluginWrites } = setup();
    await config.configSet(frame(agentA.toLowerCase()), 'key', 'value');
    await config.configDelete(frame(agentA), 'key');
    await config.configSet(frame(null), 'key', 'dropped');
    expect(pluginWrites).toEqual([
      [plugin, agentA, 'key', 'value'],
      [plugin, agentA, 'key', null],
    ]);
  });

  describe('when the secret store fails', () => {
    const directories: string[] = [];
    afterAll(async () => {
      for (const directory of directories) await rm(directory, { recursive: true, force: true });
    });

    it('never rejects a slot call: NULL / dropped, with a one-shot warning', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'osr-config-store-'));
      directories.push(directory);
      const filePath = join(directory, 'secrets.enc');
      await new EncryptedFileSecretStore({ filePath, secretKey: 'written-with', warn: () => undefined }).setPassword(
        's',
        'a',
        'v',
      );
      const unreadable = new EncryptedFileSecretStore({ filePath, secretKey: 'other', warn: () => undefined });
      const { config, warn, pluginWrites } = setup({ secrets: unreadable });
      expect(await config.configGet(frame(agentA), 'key')).toBeNull();
      await expect(config.configSet(frame(agentA), 'key', 'value')).resolves.toBeUndefined();
      await expect(config.configDelete(frame(agentA), 'key')).resolves.toBeUndefined();
      expect(pluginWrites).toEqual([]);
      expect(warn.mock.calls.map(([key]) => key)).toEqual([
        `${plugin}|config_get|store_failed`,
        `${plugin}|config_set|store_failed`,
        `${plugin}|config_delete|store_failed`,
      ]);
      expect(warn.mock.calls[0]?.[1]).toContain('does not decrypt');
    });
  });
});

describe('ConfigStore host-side operations', () => {
  it("names entries: service '<prefix>:<plugin>', account '<AGENT>.<plugin>.<key>'", async () => {
    const { config, secrets } = setup();
    await config.set({ pluginId: plugin, agentId: agentA.toLowerCase() }, 'api.key', 'v');
    await config.set({ pluginId: plugin }, 'region', 'eu');
    expect(config.serviceFor(plugin)).toBe(`osr-host:${plugin}`);
    const accounts = (await secrets.findCredentials(`osr-host:${plugin}`)).map((credential) => credential.account);
    expect(accounts.sort()).toEqual([`${DEFAULT_AGENT_ID}.${plugin}.region`, `${agentA}.${plugin}.api.key`]);
  });

  it('keeps plugins apart even when one id is a dotted prefix of another', async () => {
    const { config } = setup();
    const child = `${plugin}.imap`;
    await config.set({ pluginId: plugin, agentId: agentA }, 'imap.host', 'parent');
    await config.set({ pluginId: child, agentId: agentA }, 'host', 'child');
    expect(await config.listKeys({ pluginId: plugin, agentId: agentA })).toEqual(['imap.host']);
    expect(await config.listKeys({ pluginId: child, agentId: agentA })).toEqual(['host']);
  });

  it('lists and reads exactly one scope, or what the plugin sees', async () => {
    const { config } = setup();
    await config.set({ pluginId: plugin, agentId: agentA }, 'b', '1');
    await config.set({ pluginId: plugin, agentId: agentA }, 'a', '2');
    await config.set({ pluginId: plugin, agentId: agentB }, 'c', '3');
    await config.set({ pluginId: plugin }, 'a', 'default-a');
    await config.set({ pluginId: plugin }, 'd', 'default-d');
    expect(await config.listKeys({ pluginId: plugin, agentId: agentA })).toEqual(['a', 'b']);
    expect(await config.listKeys({ pluginId: plugin, agentId: DEFAULT_AGENT_ID })).toEqual(['a', 'd']);
    expect(Object.fromEntries(await config.readResolved({ pluginId: plugin, agentId: agentA }))).toEqual({
      a: '2',
      b: '1',
      d: 'default-d',
    });
    expect(await config.resolve({ pluginId: plugin, agentId: agentB }, 'a')).toBe('default-a');
    expect(await config.get({ pluginId: plugin, agentId: agentB }, 'a')).toBeNull();
  });

  it('deletes one key, everything of an agent, or everything of a plugin', async () => {
    const { config } = setup();
    const other = 'org.example.calendar';
    for (const pluginId of [plugin, other]) {
      await config.set({ pluginId, agentId: agentA }, 'k1', 'v');
      await config.set({ pluginId, agentId: agentA }, 'k2', 'v');
      await config.set({ pluginId, agentId: agentB }, 'k1', 'v');
      await config.set({ pluginId }, 'k1', 'v');
    }
    expect(await config.delete({ pluginId: plugin, agentId: agentB }, 'k1')).toBe(true);
    expect(await config.delete({ pluginId: plugin, agentId: agentB }, 'k1')).toBe(false);

    expect(await config.deleteAllForAgent(agentA.toLowerCase(), [plugin, other])).toBe(4);
    expect(await config.listKeys({ pluginId: other, agentId: agentA })).toEqual([]);
    expect(await config.listKeys({ pluginId: other, agentId: agentB })).toEqual(['k1']);
    expect(await config.listKeys({ pluginId: other })).toEqual(['k1']);

    expect(await config.deleteAllForPlugin(other)).toBe(2);
    expect(await config.listKeys({ pluginId: other, agentId: agentB })).toEqual([]);
    expect(await config.listKeys({ pluginId: plugin })).toEqual(['k1']);
  });

  it('throws invalid_argument for bad input, naming the fix', async () => {
    const { config } = setup();
    const attempts = [
      () => config.set({ pluginId: plugin, agentId: 'agent-7' }, 'k', 'v'),
      () => config.get({ pluginId: '' }, 'k'),
      () => config.get({ pluginId: 'a\0b' }, 'k'),
      () => config.set({ pluginId: plugin }, 'k\0', 'v'),
      () => config.set({ pluginId: plugin }, 'k', 'x'.repeat(configValueMaxBytes + 1)),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigKeychainError);
      expect(error).toMatchObject({ code: 'invalid_argument' });
    }
    await expect(attempts[0]!()).rejects.toThrow(/not a UUID: pass an agent's UUID, or null/);
  });

  it('survives a restart on the encrypted file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'osr-config-restart-'));
    try {
      const filePath = join(directory, 'secrets.enc');
      const open = () => new EncryptedFileSecretStore({ filePath, secretKey: '', warn: () => undefined });
      await setup({ secrets: open() }).config.configSet(frame(agentA), 'token', 'kept');
      expect(await setup({ secrets: open() }).config.configGet(frame(agentA), 'token')).toBe('kept');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('ConfigStore change marker', () => {
  it('moves after every write, plugin or host-side, and not on reads or writes it refused', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'osr-config-marker-'));
    try {
      const changeMarkerPath = join(directory, 'config', 'change-marker');
      const config = new ConfigStore({ secrets: new MemorySecretStore(), warn: () => undefined, changeMarkerPath });
      const seen = [existsSync(changeMarkerPath) ? readFileSync(changeMarkerPath).toString('hex') : 'absent'];
      const moved = async (operation: () => Promise<unknown>) => {
        await operation();
        const marker = readFileSync(changeMarkerPath);
        expect(marker).toHaveLength(8);
        const changed = marker.toString('hex') !== seen.at(-1);
        seen.push(marker.toString('hex'));
        return changed;
      };

      expect(await moved(() => config.configSet(frame(agentA), 'token', 'one'))).toBe(true);
      expect(await moved(() => config.set({ pluginId: plugin }, 'region', 'eu'))).toBe(true);
      expect(await moved(() => config.configGet(frame(agentA), 'token'))).toBe(false);
      expect(await moved(() => config.readResolved({ pluginId: plugin, agentId: agentA }))).toBe(false);
      expect(await moved(() => config.configSet(frame(null), 'token', 'dropped: no agent'))).toBe(false);
      expect(await moved(() => config.configSet(frame(agentA), 'big', 'x'.repeat(configValueMaxBytes + 1)))).toBe(false);
      expect(await moved(() => config.configDelete(frame(agentA), 'token'))).toBe(true);
      expect(await moved(() => config.delete({ pluginId: plugin }, 'region'))).toBe(true);
      await config.set({ pluginId: plugin, agentId: agentB }, 'a', '1');
      expect(await moved(() => config.deleteAllForAgent(agentB, [plugin]))).toBe(true);
      await config.set({ pluginId: plugin }, 'b', '2');
      expect(await moved(() => config.deleteAllForPlugin(plugin))).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('says an answer may be kept only when it is what the store holds', async () => {
    const { config } = setup();
    await config.set({ pluginId: plugin }, 'region', 'plugin-wide');
    const asked = async (agentId: string | null, key: string, store = config) => {
      let kept = false;
      const keepAnswer = () => {
        kept = true;
      };
      const value = await store.configGet({ ...frame(agentId), keepAnswer }, key);
      return { value, kept };
    };

    expect(await asked(agentA, 'region')).toEqual({ value: 'plugin-wide', kept: true });
    expect(await asked(agentA, 'unset')).toEqual({ value: null, kept: true });
    expect(await asked(null, 'region')).toEqual({ value: null, kept: false });
    expect(await asked(agentA, 'bad\0key')).toEqual({ value: null, kept: false });

    const locked = new MemorySecretStore();
    locked.getPassword = () => Promise.reject(new Error('the keychain is locked'));
    expect(await asked(agentA, 'region', setup({ secrets: locked }).config)).toEqual({ value: null, kept: false });
  });
});
