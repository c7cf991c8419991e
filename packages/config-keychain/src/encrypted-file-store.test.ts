import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigKeychainError, EncryptedFileSecretStore, notInKeychainWarningKey, secretKeyEnvVar } from './index.js';
import { describeSecretStoreContract } from './secret-store-contract.js';

const directories: string[] = [];
async function freshPath(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'osr-secrets-'));
  directories.push(directory);
  return join(directory, 'nested', 'secrets.enc');
}
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

const quiet = () => undefined;

describeSecretStoreContract('encrypted file (generated key file)', async () => {
  const filePath = await freshPath();
  return {
    store: new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' }),
    reopen: () => new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' }),
  };
});

describeSecretStoreContract('encrypted file (key material given)', async () => {
  const filePath = await freshPath();
  return {
    store: new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: 'contract key' }),
    reopen: () => new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: 'contract key' }),
  };
});

describe('EncryptedFileSecretStore', () => {
  it('writes the secrets file and its generated key file with mode 0600', async () => {
    const filePath = await freshPath();
    await new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' }).setPassword('service', 'a', 'v');
    expect((await stat(filePath)).mode & 0o777).toBe(0o600);
    expect((await stat(`${filePath}.key`)).mode & 0o777).toBe(0o600);
  });

  it('keeps values, services and accounts out of the file in plain text', async () => {
    const filePath = await freshPath();
    const store = new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' });
    await store.setPassword('visible-service-name', 'visible-account-name', 'plain-secret-value');
    const onDisk = await readFile(filePath, 'utf8');
    for (const plain of ['visible-service-name', 'visible-account-name', 'plain-secret-value']) {
      expect(onDisk).not.toContain(plain);
      expect(onDisk).not.toContain(Buffer.from(plain).toString('base64'));
    }
  });

  it(`takes its key from ${secretKeyEnvVar} when set, and then needs no key file`, async () => {
    const filePath = await freshPath();
    vi.stubEnv(secretKeyEnvVar, 'key from the environment');
    try {
      await new EncryptedFileSecretStore({ filePath, warn: quiet }).setPassword('service', 'a', 'v');
      expect(await new EncryptedFileSecretStore({ filePath, warn: quiet }).getPassword('service', 'a')).toBe('v');
    } finally {
      vi.unstubAllEnvs();
    }
    await expect(stat(`${filePath}.key`)).rejects.toMatchObject({ code: 'ENOENT' });
    const withoutKey = new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' });
    const error = await withoutKey.getPassword('service', 'a').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'secret_file_unreadable' });
    expect((error as Error).message).toContain(`set ${secretKeyEnvVar} to the key it was written with`);
  });

  it('refuses to read with the wrong key, saying which key it used and what to do', async () => {
    const filePath = await freshPath();
    await new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: 'right' }).setPassword('s', 'a', 'guarded-value');
    const error = await new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: 'wrong' })
      .getPassword('s', 'a')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigKeychainError);
    expect(error).toMatchObject({ code: 'secret_file_unreadable' });
    expect((error as Error).message).toContain('the key from the secretKey option');
    expect((error as Error).message).toContain('restore the key');
    expect((error as Error).message).not.toContain('guarded-value');
  });

  it('reports a corrupted file instead of treating it as empty', async () => {
    const filePath = await freshPath();
    const store = new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: 'k' });
    await store.setPassword('s', 'a', 'v');
    await writeFile(filePath, '{"format":"something-else"}');
    await expect(store.getPassword('s', 'a')).rejects.toMatchObject({ code: 'secret_file_unreadable' });
    await writeFile(filePath, 'not json');
    await expect(store.findCredentials('s')).rejects.toMatchObject({ code: 'secret_file_unreadable' });
  });

  it('loses no write when two instances share the file', async () => {
    const filePath = await freshPath();
    const first = new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' });
    const second = new EncryptedFileSecretStore({ filePath, warn: quiet, secretKey: '' });
    await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 ? first : second).setPassword('s', `a${index}`, `${index}`)),
    );
    expect((await first.findCredentials('s')).length).toBe(10);
  });

  it('warns once, on first use, that secrets are not in an OS keychain', async () => {
    const warn = vi.fn();
    const store = new EncryptedFileSecretStore({ filePath: await freshPath(), warn, fallbackReason: 'no Secret Service' });
    expect(warn).not.toHaveBeenCalled();
    await store.setPassword('s', 'a', 'v');
    await store.getPassword('s', 'a');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toBe(notInKeychainWarningKey);
    expect(warn.mock.calls[0]?.[1]).toMatch(/not in an OS keychain.*AES-256-GCM.*no Secret Service/s);
  });
});
