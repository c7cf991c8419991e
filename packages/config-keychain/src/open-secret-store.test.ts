import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  ConfigKeychainError,
  EncryptedFileSecretStore,
  MemorySecretStore,
  notInKeychainWarningKey,
  openSecretStore,
  type SecretStoreBackend,
} from './index.js';

// This file runs in its own process (vitest forks), so no D-Bus connection has been
// made yet: remove every way to reach a session bus, as on a headless server.
const emptyRuntimeDir = await mkdtemp(join(tmpdir(), 'osr-no-bus-'));
delete process.env.DBUS_SESSION_BUS_ADDRESS;
delete process.env.DISPLAY;
process.env.XDG_RUNTIME_DIR = emptyRuntimeDir;

const directory = await mkdtemp(join(tmpdir(), 'osr-open-store-'));
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
  await rm(emptyRuntimeDir, { recursive: true, force: true });
});
let fileCount = 0;
const nextFile = () => join(directory, `secrets-${++fileCount}.enc`);

describe.runIf(process.platform === 'linux')('openSecretStore with no D-Bus session at all', () => {
  it('falls back to the encrypted file with one warning that says why and where', async () => {
    const warn = vi.fn();
    const filePath = nextFile();
    const store = await openSecretStore({ fallbackFilePath: filePath, warn, secretKey: 'k' });
    expect(store).toBeInstanceOf(EncryptedFileSecretStore);
    expect(warn).toHaveBeenCalledTimes(1);
    const [key, message] = warn.mock.calls[0] as [string, string];
    expect(key).toBe(notInKeychainWarningKey);
    expect(message).toContain('not in an OS keychain');
    expect(message).toContain(filePath);
    expect(message).toMatch(/The OS keychain is not used: .*D-?Bus/i);

    await store.setPassword('service', 'account', 'value');
    expect(await store.getPassword('service', 'account')).toBe('value');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('refuses an explicit keyring backend, saying what to do', async () => {
    const error = await openSecretStore({ backend: 'keyring' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigKeychainError);
    expect(error).toMatchObject({ code: 'backend_unavailable' });
    expect((error as Error).message).toContain('auto');
  });
});

describe('openSecretStore backends', () => {
  it('opens the in-memory store', async () => {
    expect(await openSecretStore({ backend: 'memory' })).toBeInstanceOf(MemorySecretStore);
  });

  it('opens the encrypted file, checking its key up front', async () => {
    const filePath = nextFile();
    const warn = vi.fn();
    const store = await openSecretStore({ backend: 'encrypted-file', fallbackFilePath: filePath, secretKey: 'one', warn });
    await store.setPassword('s', 'a', 'v');
    expect(warn).toHaveBeenCalledTimes(1);
    await expect(
      openSecretStore({ backend: 'encrypted-file', fallbackFilePath: filePath, secretKey: 'two', warn }),
    ).rejects.toMatchObject({ code: 'secret_file_unreadable' });
  });

  it('needs a file path for the encrypted file', async () => {
    await expect(openSecretStore({ backend: 'encrypted-file' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(openSecretStore({})).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('reports the missing optional keytar package', async () => {
    await expect(openSecretStore({ backend: 'keytar' })).rejects.toMatchObject({ code: 'backend_unavailable' });
  });

  it('rejects an unknown backend name', async () => {
    await expect(openSecretStore({ backend: 'vault' as SecretStoreBackend })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
