import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecretStore } from './secret-store.js';

/** A backend under test; `reopen` gives a second instance over the same storage, when the backend persists. */
export interface ContractSubject {
  store: SecretStore;
  reopen?: () => SecretStore;
}

/**
 * The behaviour every `SecretStore` backend must share. Each test uses a fresh
 * random service name and removes what it stored, so a real keychain is left clean.
 */
export function describeSecretStoreContract(label: string, open: () => Promise<ContractSubject>): void {
  describe(`SecretStore contract: ${label}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    async function subjectWithService(): Promise<ContractSubject & { service: string; other: string }> {
      const subject = await open();
      const service = `osr-host-contract-${randomUUID()}`;
      const other = `${service}-other`;
      cleanups.push(async () => {
        for (const name of [service, other]) {
          for (const { account } of await subject.store.findCredentials(name)) {
            await subject.store.deletePassword(name, account);
          }
        }
      });
      return { ...subject, service, other };
    }

    it('returns null for an account that was never set', async () => {
      const { store, service } = await subjectWithService();
      expect(await store.getPassword(service, 'missing')).toBeNull();
    });

    it('round-trips a password, and a second set replaces it', async () => {
      const { store, service } = await subjectWithService();
      await store.setPassword(service, 'account', 'first');
      expect(await store.getPassword(service, 'account')).toBe('first');
      await store.setPassword(service, 'account', 'second');
      expect(await store.getPassword(service, 'account')).toBe('second');
    });

    it('stores the empty string as a value distinct from a missing one', async () => {
      const { store, service } = await subjectWithService();
      await store.setPassword(service, 'empty', '');
      expect(await store.getPassword(service, 'empty')).toBe('');
      expect(await store.findCredentials(service)).toEqual([{ account: 'empty', password: '' }]);
    });

    it('keeps unicode, dots and large values intact', async () => {
      const { store, service } = await subjectWithService();
      const account = '00000000-0000-0000-0000-00000000000A.com.example.plugin.api.key é';
      const value = `naïve ☃ 🔑 ${'x'.repeat(256 * 1024)}`;
      await store.setPassword(service, account, value);
      expect(await store.getPassword(service, account)).toBe(value);
    });

    it('deletes: true when something was stored, false after', async () => {
      const { store, service } = await subjectWithService();
      await store.setPassword(service, 'gone', 'value');
      expect(await store.deletePassword(service, 'gone')).toBe(true);
      expect(await store.getPassword(service, 'gone')).toBeNull();
      expect(await store.deletePassword(service, 'gone')).toBe(false);
    });

    it('lists exactly the credentials of one service', async () => {
      const { store, service, other } = await subjectWithService();
      await store.setPassword(service, 'a', '1');
      await store.setPassword(service, 'b', '2');
      await store.setPassword(other, 'a', 'elsewhere');
      const found = await store.findCredentials(service);
      expect(found.sort((x, y) => x.account.localeCompare(y.account))).toEqual([
        { account: 'a', password: '1' },
        { account: 'b', password: '2' },
      ]);
      expect(await store.getPassword(other, 'a')).toBe('elsewhere');
      expect(await store.findCredentials(`${service}-never-used`)).toEqual([]);
    });

    it('loses no write when many writes run concurrently', async () => {
      const { store, service } = await subjectWithService();
      const accounts = Array.from({ length: 16 }, (_, index) => `concurrent-${index}`);
      await Promise.all(accounts.map((account) => store.setPassword(service, account, `value-${account}`)));
      const found = await store.findCredentials(service);
      expect(found.map((credential) => credential.account).sort()).toEqual([...accounts].sort());
      for (const { account, password } of found) expect(password).toBe(`value-${account}`);
    });

    it('persists across instances over the same storage', async (context) => {
      const { store, reopen, service } = await subjectWithService();
      if (!reopen) {
        context.skip(`${label} keeps secrets in this instance only`);
        return;
      }
      await store.setPassword(service, 'kept', 'value');
      expect(await reopen().getPassword(service, 'kept')).toBe('value');
    });
  });
}
