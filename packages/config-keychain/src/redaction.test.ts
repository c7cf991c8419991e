import { DEFAULT_AGENT_ID } from '@osr-host/abi';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigDelivery,
  ConfigStore,
  configValueMaxBytes,
  EncryptedFileSecretStore,
  MemorySecretStore,
  openSecretStore,
} from './index.js';

const secret = 'sk-live-7Hq2-REDACTION-CANARY';
const plugin = 'com.example.mail';
const agent = '6F1D2C3B-0000-4000-8000-00000000000A';

const directory = await mkdtemp(join(tmpdir(), 'osr-redaction-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

/** Everything this package could show a person: warnings, console and process warnings, errors. */
const shown: string[] = [];
const warn = (key: string, message: string) => shown.push(key, message);
function collectError(error: unknown): void {
  shown.push(String(error), inspect(error, { depth: 5 }), JSON.stringify(error));
}

beforeEach(() => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      shown.push(args.map(String).join(' '));
    });
  }
  vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
    shown.push(args.map((arg) => inspect(arg)).join(' '));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('config values and secrets stay out of every message', () => {
  it('covers warnings, errors and the encrypted file', async () => {
    const filePath = join(directory, 'secrets.enc');
    const fileStore = await openSecretStore({ backend: 'encrypted-file', fallbackFilePath: filePath });
    const config = new ConfigStore({ secrets: fileStore, warn });
    const tooLarge = secret + 'x'.repeat(configValueMaxBytes);

    await config.configSet({ pluginId: plugin, agentId: agent }, 'token', secret);
    await config.configSet({ pluginId: plugin, agentId: agent }, 'blob', tooLarge);
    await config.configSet({ pluginId: plugin, agentId: null }, 'token', secret);
    await config.configSet({ pluginId: plugin, agentId: DEFAULT_AGENT_ID }, 'token', secret);
    await config.configSet({ pluginId: plugin, agentId: agent }, 'bad\0key', secret);
    await config.set({ pluginId: plugin }, 'big', tooLarge).catch(collectError);
    await config.set({ pluginId: plugin, agentId: secret }, 'token', secret).catch(collectError);

    const wrongKey = new ConfigStore({
      secrets: new EncryptedFileSecretStore({ filePath, secretKey: 'not-the-key', warn }),
      warn,
    });
    expect(await wrongKey.configGet({ pluginId: plugin, agentId: agent }, 'token')).toBeNull();
    await wrongKey.configSet({ pluginId: plugin, agentId: agent }, 'token', secret);
    await wrongKey.get({ pluginId: plugin, agentId: agent }, 'token').catch(collectError);

    const gone = {
      abi: 6,
      supportsConfigChanges: true,
      configChanged: async () => {
        throw new Error('plugin gone');
      },
    };
    const delivery = new ConfigDelivery({ warn, plugins: { get: (id) => (id === plugin ? { id, instance: gone, manifest: {}, directory: '/plugins/gone' } : undefined) } });
    delivery.attach(plugin);
    delivery.notify(plugin, agent, [['token', secret]]);
    await delivery.whenIdle(plugin);
    await delivery.notifyAndWait(plugin, agent, [['token', secret]]).catch(collectError);

    expect(await config.configGet({ pluginId: plugin, agentId: agent }, 'token')).toBe(secret);
    expect(shown.length).toBeGreaterThan(10);
    for (const line of shown) expect(line).not.toContain(secret);

    for (const name of await readdir(directory)) {
      const bytes = await readFile(join(directory, name));
      expect(bytes.includes(secret)).toBe(false);
      expect(bytes.includes(Buffer.from(secret).toString('base64'))).toBe(false);
    }
  });

  it('keeps the in-memory store out of inspection output', async () => {
    const store = new MemorySecretStore();
    await store.setPassword('service', 'account', secret);
    expect(inspect(store, { depth: 10, showHidden: true })).not.toContain(secret);
  });
});
