import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ConfigContext, ConfigStore, configKeyMaxBytes, configPluginQuotaBytes, configValueMaxBytes, EncryptedFileSecretStore } from './index.js';

const agent = '6F1D2C3B-0000-4000-8000-00000000000A';
const directories: string[] = [];
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

async function fileStore() {
  const directory = await mkdtemp(join(tmpdir(), 'osr-config-limits-'));
  directories.push(directory);
  const filePath = join(directory, 'secrets.json');
  const secrets = new EncryptedFileSecretStore({ filePath, secretKey: 'test-key', warn: () => {} });
  const warn = vi.fn<(key: string, message: string) => void>();
  return { filePath, secrets, warn, config: new ConfigStore({ secrets, warn }) };
}

const frame = (pluginId: string): ConfigContext => ({ pluginId, agentId: agent });

describe('config limits a plugin cannot get around', () => {
  it('refuses keys over the key cap, with a one-shot warning, and never stores them', async () => {
    const { config, warn, filePath } = await fileStore();
    await config.configSet(frame('small.plugin'), 'token', 'value');
    const before = (await stat(filePath)).size;
    for (let index = 0; index < 5; index++) await config.configSet(frame('big.plugin'), `${index}${'k'.repeat(8 * 1024 * 1024)}`, 'v');
    expect((await stat(filePath)).size).toBe(before);
    expect(warn).toHaveBeenCalledWith(
      'big.plugin|config_set|invalid_key',
      `Plugin "big.plugin" called config_set with a key it cannot use: A config key is ${8 * 1024 * 1024 + 1} bytes; keys are capped at ${configKeyMaxBytes} bytes. The call was ignored. This warning is logged once per plugin per op per process.`,
    );
    expect(await config.configGet(frame('big.plugin'), 'k'.repeat(configKeyMaxBytes + 1))).toBeNull();
    expect(await config.configGet(frame('small.plugin'), 'token')).toBe('value');
    await config.configSet(frame('small.plugin'), 'k'.repeat(configKeyMaxBytes), 'at the cap');
    expect(await config.configGet(frame('small.plugin'), 'k'.repeat(configKeyMaxBytes))).toBe('at the cap');
  });

  it('keeps each plugin within its quota, without touching other plugins', async () => {
    const { config, warn } = await fileStore();
    const value = 'v'.repeat(configValueMaxBytes);
    const fits = Math.floor(configPluginQuotaBytes / (configValueMaxBytes + 64));
    for (let index = 0; index < fits + 2; index++) await config.configSet(frame('big.plugin'), `key${index}`, value);
    expect((await config.listKeys({ pluginId: 'big.plugin', agentId: agent })).length).toBe(fits);
    expect(warn).toHaveBeenCalledWith('big.plugin|config_set|over_quota', expect.stringMatching(/over its quota of 8388608 bytes; delete keys it no longer needs\. The write was dropped\./));
    // Replacing a stored value counts it once.
    await config.configSet(frame('big.plugin'), 'key0', 'smaller');
    expect(await config.configGet(frame('big.plugin'), 'key0')).toBe('smaller');
    await config.configSet(frame('other.plugin'), 'token', 'fits');
    expect(await config.configGet(frame('other.plugin'), 'token')).toBe('fits');
  });

  it('rereads the file when another process replaced it', async () => {
    const first = await fileStore();
    await first.config.configSet(frame('a.plugin'), 'token', 'one');
    expect(await first.config.configGet(frame('a.plugin'), 'token')).toBe('one');
    const other = new ConfigStore({ secrets: new EncryptedFileSecretStore({ filePath: first.filePath, secretKey: 'test-key', warn: () => {} }), warn: () => {} });
    await other.configSet(frame('a.plugin'), 'token', 'two');
    expect(await first.config.configGet(frame('a.plugin'), 'token')).toBe('two');
    await writeFile(first.filePath, await readFile(first.filePath));
    expect(await first.config.configGet(frame('a.plugin'), 'token')).toBe('two');
  });
});
