import * as napiKeytar from '@napi-rs/keyring/keytar.js';
import { describe, expect, it } from 'vitest';
import { KeyringSecretStore, KeytarSecretStore, loadKeytar, probeKeychain } from './index.js';
import { describeSecretStoreContract } from './secret-store-contract.js';
import { skipReason } from './test-support/secret-service.js';

const availability = await probeKeychain();
const skipped = skipReason(availability.available ? undefined : `no usable OS keychain (${availability.reason})`);

describe.skipIf(skipped !== undefined)(`real OS keychain${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
  it('accepts a write (probe)', () => {
    expect(availability).toEqual({ available: true });
  });

  describeSecretStoreContract('@napi-rs/keyring on the OS keychain', async () => ({
    store: new KeyringSecretStore(),
    reopen: () => new KeyringSecretStore(),
  }));

  // keytar itself needs libsecret-1-dev to build; @napi-rs/keyring ships a keytar-compatible
  // module, which exercises the keytar adapter against the same real keychain.
  describeSecretStoreContract('keytar adapter (keytar-compatible module) on the OS keychain', async () => ({
    store: new KeytarSecretStore(napiKeytar),
    reopen: () => new KeytarSecretStore(napiKeytar),
  }));
});

describe('loadKeytar', () => {
  it('fails with install instructions when the optional keytar package is absent', async () => {
    const error = await loadKeytar().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ConfigKeychainError', code: 'backend_unavailable' });
    expect((error as Error).message).toContain('npm install keytar');
    expect((error as Error).cause).toBeDefined();
  });
});
