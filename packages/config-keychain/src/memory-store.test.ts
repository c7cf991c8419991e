import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from './index.js';
import { describeSecretStoreContract } from './secret-store-contract.js';

describeSecretStoreContract('in-memory', async () => ({ store: new MemorySecretStore() }));

describe('MemorySecretStore', () => {
  it('keeps separate instances separate', async () => {
    const first = new MemorySecretStore();
    await first.setPassword('service', 'account', 'value');
    expect(await new MemorySecretStore().getPassword('service', 'account')).toBeNull();
  });
});
