import { AsyncEntry, type EntryOptions, findCredentialsAsync } from '@napi-rs/keyring';
import { ConfigKeychainError, describeCause } from './errors.js';
import type { Credential, SecretStore } from './secret-store.js';

/**
 * Pin Linux to the Secret Service: the library's default silently falls back to
 * the kernel keyring, which does not survive a reboot, so config would vanish.
 * Other platforms ignore this option.
 */
const entryOptions: EntryOptions = { linux: { store: 'secret-service' } };

async function keychainCall<T>(operation: string, service: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    throw new ConfigKeychainError(
      'secret_store_failed',
      `The OS keychain refused ${operation} for service "${service}": ${describeCause(cause)}. Unlock the keychain (or start its daemon) and retry.`,
      { cause },
    );
  }
}

/** The OS keychain through `@napi-rs/keyring` (macOS Keychain, Linux Secret Service, Windows Credential Manager). */
export class KeyringSecretStore implements SecretStore {
  readonly kind = 'keyring';

  getPassword(service: string, account: string): Promise<string | null> {
    return keychainCall('a read', service, () => new AsyncEntry(service, account, entryOptions).getPassword());
  }

  setPassword(service: string, account: string, password: string): Promise<void> {
    return keychainCall('a write', service, () =>
      new AsyncEntry(service, account, entryOptions).setPassword(password),
    );
  }

  deletePassword(service: string, account: string): Promise<boolean> {
    return keychainCall('a delete', service, () =>
      new AsyncEntry(service, account, entryOptions).deletePassword(),
    );
  }

  findCredentials(service: string): Promise<Credential[]> {
    return keychainCall('a listing', service, () => findCredentialsAsync(service));
  }
}

/** Whether the OS keychain accepted a real write, and if not, why. */
export type KeychainAvailability = { available: true } | { available: false; reason: string };

const probeService = 'osr-host';

/**
 * Checks that the OS keychain can actually store a secret: writes, reads back and
 * deletes a probe entry. A write is needed because a locked Secret Service answers
 * reads with "not found" instead of an error. Failures come back within
 * milliseconds; `timeoutMs` bounds the rare case of a keychain waiting on an
 * unlock prompt, so the caller never blocks on one.
 */
export async function probeKeychain(options: { timeoutMs?: number } = {}): Promise<KeychainAvailability> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const probeValue = 'probe';
  const roundTrip = async (): Promise<KeychainAvailability> => {
    // The constructor already throws when no D-Bus session is reachable.
    const entry = new AsyncEntry(probeService, `availability-probe.${process.pid}.${Math.random()}`, entryOptions);
    await entry.setPassword(probeValue);
    const readBack = await entry.getPassword();
    await entry.deletePassword();
    return readBack === probeValue
      ? { available: true }
      : { available: false, reason: 'the keychain accepted a write but did not return it' };
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<KeychainAvailability>((resolve) => {
    timer = setTimeout(
      () => resolve({ available: false, reason: `no answer within ${timeoutMs} ms (waiting on an unlock prompt?)` }),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([roundTrip(), timeout]);
  } catch (cause) {
    return { available: false, reason: describeCause(cause) };
  } finally {
    clearTimeout(timer);
  }
}
