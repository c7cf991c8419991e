import type { Credential, SecretStore } from './secret-store.js';

/** A `SecretStore` held in process memory: for tests and for hosts that must not persist secrets. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory';
  readonly #services = new Map<string, Map<string, string>>();

  async getPassword(service: string, account: string): Promise<string | null> {
    return this.#services.get(service)?.get(account) ?? null;
  }

  async setPassword(service: string, account: string, password: string): Promise<void> {
    let accounts = this.#services.get(service);
    if (!accounts) {
      accounts = new Map();
      this.#services.set(service, accounts);
    }
    accounts.set(account, password);
  }

  async deletePassword(service: string, account: string): Promise<boolean> {
    const accounts = this.#services.get(service);
    if (!accounts?.delete(account)) return false;
    if (accounts.size === 0) this.#services.delete(service);
    return true;
  }

  async findCredentials(service: string): Promise<Credential[]> {
    return [...(this.#services.get(service) ?? [])].map(([account, password]) => ({ account, password }));
  }
}
