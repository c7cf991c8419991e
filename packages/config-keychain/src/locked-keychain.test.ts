import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCredentialsAsync } from '@napi-rs/keyring';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EncryptedFileSecretStore, openSecretStore, probeKeychain } from './index.js';
import { missingPrograms, skipReason } from './test-support/secret-service.js';

const programs = ['dbus-daemon', 'dbus-run-session', 'gnome-keyring-daemon'];
const missing = process.platform === 'linux' ? missingPrograms(programs) : [];
const skipped =
  process.platform !== 'linux'
    ? 'the locked Secret Service scenario is Linux-only'
    : skipReason(missing.length ? `missing programs: ${missing.join(', ')} (apt: dbus gnome-keyring)` : undefined);

/**
 * A real gnome-keyring whose login keyring has a password nobody supplied: it is
 * reached over a private session bus (this file's process has made no D-Bus
 * connection yet) and every write needs an unlock prompt, which cannot be shown.
 */
describe.skipIf(skipped !== undefined)(`a locked Secret Service${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  let home = '';
  let bus: ChildProcess | undefined;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'osr-locked-keyring-'));
    // No XDG_RUNTIME_DIR: gnome-keyring would look for another daemon's control socket there.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, '.local/share') };
    // Create a password-protected login keyring, then stop that daemon (in the
    // foreground, so it does not outlive the session).
    const createLoginKeyring =
      'printf locked-password | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null & daemon=$!; ' +
      'while [ ! -f "$XDG_DATA_HOME/keyrings/login.keyring" ]; do sleep 0.1; done; kill $daemon';
    const created = spawnSync('dbus-run-session', ['--', 'sh', '-c', createLoginKeyring], {
      env,
      stdio: 'ignore',
      timeout: 30_000,
    });
    expect(created.status).toBe(0);
    await stat(join(home, '.local/share/keyrings/login.keyring'));

    const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    bus = daemon;
    const address = await new Promise<string>((resolve, reject) => {
      daemon.once('error', reject);
      daemon.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0] ?? ''));
    });
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    delete process.env.DISPLAY;
  });

  afterAll(async () => {
    if (bus?.pid) process.kill(bus.pid);
    await rm(home, { recursive: true, force: true });
  });

  it('is reachable, but refuses writes', async () => {
    await expect(findCredentialsAsync('osr-host')).resolves.toEqual([]);
    const availability = await probeKeychain();
    expect(availability.available).toBe(false);
  });

  it('makes the factory fall back to the encrypted file with one warning', async () => {
    const warn = vi.fn();
    const store = await openSecretStore({ fallbackFilePath: join(home, 'secrets.enc'), warn, secretKey: 'k' });
    expect(store).toBeInstanceOf(EncryptedFileSecretStore);
    await store.setPassword('service', 'account', 'value');
    expect(await store.getPassword('service', 'account')).toBe('value');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toContain('The OS keychain is not used');
  });

  it('makes an explicit keyring backend fail instead of prompting', async () => {
    await expect(openSecretStore({ backend: 'keyring' })).rejects.toMatchObject({ code: 'backend_unavailable' });
  });
});
