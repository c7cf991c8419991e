import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigKeychainError, describeCause } from './errors.js';
import type { WarnFn } from './once.js';
import type { Credential, SecretStore } from './secret-store.js';

/** The environment variable that holds the key material for the encrypted secrets file. */
export const secretKeyEnvVar = 'OSR_HOST_SECRET_KEY';

/** One-shot warning key used when secrets are kept in the encrypted file. */
export const notInKeychainWarningKey = 'osr-host|secret_store|not_in_keychain';

export interface EncryptedFileSecretStoreOptions {
  /** The secrets file. Its key file, when one is used, is `<filePath>.key`. */
  filePath: string;
  /**
   * Key material (any string; a key is derived from it with scrypt). Defaults to
   * `process.env.OSR_HOST_SECRET_KEY`; when that is unset or empty, a random key is
   * generated into `<filePath>.key` (mode 0600).
   */
  secretKey?: string;
  /** Receives the once-per-store warning that secrets are not in an OS keychain. */
  warn?: WarnFn;
  /** Why the OS keychain is not used, appended to the warning. */
  fallbackReason?: string;
}

type SecretMap = Record<string, Record<string, string>>;

interface SecretFile {
  format: 'osr-host-secrets';
  version: 1;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

const fileFormat = 'osr-host-secrets';
const additionalData = Buffer.from('osr-host-secrets/v1');
const scryptAsync = (material: string, salt: Buffer) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(material, salt, 32, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** Serialises read-modify-write cycles per file across every store instance in this process. */
const fileQueues = new Map<string, Promise<unknown>>();

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Secrets in one AES-256-GCM encrypted file (mode 0600), for machines without an
 * OS keychain. The whole map is encrypted, so service and account names do not
 * leak either. Writes are atomic (temporary file + rename) and serialised within
 * the process; two processes writing the same file at once can lose an update.
 */
export class EncryptedFileSecretStore implements SecretStore {
  readonly kind = 'encrypted-file';
  readonly filePath: string;
  readonly #keyFilePath: string;
  readonly #explicitKey: string | undefined;
  /** Where the key comes from, for messages. */
  readonly #keySource: string;
  readonly #warn: WarnFn;
  readonly #fallbackReason: string | undefined;
  #warned = false;
  #derivedKey: { salt: string; key: Buffer } | undefined;
  /**
   * The decrypted map as of the file version it came from (inode, size, mtime): a read
   * costs a stat while the file is unchanged, whatever other plugins keep in it.
   */
  #cached: { version: string; secrets: SecretMap } | undefined;

  constructor(options: EncryptedFileSecretStoreOptions) {
    this.filePath = options.filePath;
    this.#keyFilePath = `${options.filePath}.key`;
    const key = options.secretKey ?? process.env[secretKeyEnvVar];
    this.#explicitKey = key === '' ? undefined : key;
    this.#keySource =
      this.#explicitKey === undefined
        ? `the key file ${this.#keyFilePath}`
        : options.secretKey === undefined
          ? secretKeyEnvVar
          : 'the secretKey option';
    this.#warn = options.warn ?? ((key, message) => process.emitWarning(message, { code: key }));
    this.#fallbackReason = options.fallbackReason;
  }

  async getPassword(service: string, account: string): Promise<string | null> {
    const secrets = await this.#read();
    return secrets[service]?.[account] ?? null;
  }

  async setPassword(service: string, account: string, password: string): Promise<void> {
    await this.#update((secrets) => {
      secrets[service] = { ...secrets[service], [account]: password };
      return true;
    });
  }

  async deletePassword(service: string, account: string): Promise<boolean> {
    return this.#update((secrets) => {
      const accounts = secrets[service];
      if (!accounts || !Object.hasOwn(accounts, account)) return false;
      const { [account]: _deleted, ...rest } = accounts;
      if (Object.keys(rest).length === 0) delete secrets[service];
      else secrets[service] = rest;
      return true;
    });
  }

  async findCredentials(service: string): Promise<Credential[]> {
    const secrets = await this.#read();
    return Object.entries(secrets[service] ?? {}).map(([account, password]) => ({ account, password }));
  }

  /**
   * Reads and decrypts the file now (giving the not-in-keychain warning), so a
   * wrong or missing key is reported when the store is opened rather than on first use.
   */
  async verify(): Promise<void> {
    await this.#read();
  }

  #warnOnce(): void {
    if (this.#warned) return;
    this.#warned = true;
    const reason = this.#fallbackReason ? ` The OS keychain is not used: ${this.#fallbackReason}.` : '';
    this.#warn(
      notInKeychainWarningKey,
      `Secrets are not in an OS keychain: they are kept in the AES-256-GCM encrypted file ${this.filePath}, keyed from ${this.#keySource}.${reason} ` +
        'Unlock or install an OS keychain (macOS Keychain, or a Secret Service such as gnome-keyring) to keep them there.',
    );
  }

  async #update<T>(change: (secrets: SecretMap) => T): Promise<T> {
    const previous = fileQueues.get(this.filePath) ?? Promise.resolve();
    const next = previous.then(async () => {
      // A shallow copy: changes replace a service's accounts object rather than mutate the cached one.
      const secrets = { ...(await this.#read()) };
      const result = change(secrets);
      await this.#write(secrets);
      return result;
    });
    const settled = next.catch(() => undefined);
    fileQueues.set(this.filePath, settled);
    void settled.then(() => {
      if (fileQueues.get(this.filePath) === settled) fileQueues.delete(this.filePath);
    });
    return next;
  }

  /** The file's identity and version (inode, size, mtime), or null when it does not exist. */
  async #version(path = this.filePath): Promise<string | null> {
    try {
      const info = await stat(path, { bigint: true });
      return `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}`;
    } catch (error) {
      if (isMissingFile(error)) return null;
      throw this.#unreadable(`it cannot be read (${describeCause(error)})`, error);
    }
  }

  async #read(): Promise<SecretMap> {
    this.#warnOnce();
    const version = await this.#version();
    if (version === null) return {};
    if (this.#cached?.version === version) return this.#cached.secrets;
    const secrets = await this.#decrypt();
    this.#cached = { version, secrets };
    return secrets;
  }

  async #decrypt(): Promise<SecretMap> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (error) {
      if (isMissingFile(error)) return {};
      throw this.#unreadable(`it cannot be read (${describeCause(error)})`, error);
    }
    let file: SecretFile;
    try {
      file = JSON.parse(text) as SecretFile;
    } catch (cause) {
      throw this.#unreadable('it is not a secrets file written by this package', cause);
    }
    if (file.format !== fileFormat || file.version !== 1) {
      throw this.#unreadable('it is not a version 1 secrets file written by this package');
    }
    const key = await this.#keyFor(file.salt, false);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.iv, 'base64'));
      decipher.setAAD(additionalData);
      decipher.setAuthTag(Buffer.from(file.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(file.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as SecretMap;
    } catch (cause) {
      throw this.#unreadable(
        `it does not decrypt with the key from ${this.#keySource}; restore the key it was written with, or move the file away to start empty`,
        cause,
      );
    }
  }

  async #write(secrets: SecretMap): Promise<void> {
    const salt = this.#derivedKey?.salt ?? randomBytes(16).toString('base64');
    const key = await this.#keyFor(salt, true);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(additionalData);
    const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    const file: SecretFile = {
      format: fileFormat,
      version: 1,
      salt,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await mkdir(dirname(this.filePath), { recursive: true, mode: 0o700 });
    const temporaryPath = `${this.filePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporaryPath, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
    // Versioned before the rename: the renamed file keeps the temporary file's inode, size and mtime.
    const version = await this.#version(temporaryPath);
    await rename(temporaryPath, this.filePath);
    this.#cached = version === null ? undefined : { version, secrets };
  }

  async #keyFor(salt: string, mayCreateKeyFile: boolean): Promise<Buffer> {
    if (this.#derivedKey?.salt === salt) return this.#derivedKey.key;
    const material = this.#explicitKey ?? (await this.#keyFileMaterial(mayCreateKeyFile));
    const key = await scryptAsync(material, Buffer.from(salt, 'base64'));
    this.#derivedKey = { salt, key };
    return key;
  }

  async #keyFileMaterial(mayCreate: boolean): Promise<string> {
    try {
      return (await readFile(this.#keyFilePath, 'utf8')).trim();
    } catch (error) {
      if (!isMissingFile(error)) throw this.#unreadable(`its key file ${this.#keyFilePath} cannot be read`, error);
      if (!mayCreate) {
        throw this.#unreadable(
          `its key is missing: set ${secretKeyEnvVar} to the key it was written with, or restore ${this.#keyFilePath}`,
          error,
        );
      }
    }
    await mkdir(dirname(this.#keyFilePath), { recursive: true, mode: 0o700 });
    const material = randomBytes(32).toString('base64');
    try {
      await writeFile(this.#keyFilePath, `${material}\n`, { mode: 0o600, flag: 'wx' });
      return material;
    } catch (error) {
      // Another store created the key file first: use that one.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return this.#keyFileMaterial(false);
      throw this.#unreadable(`its key file ${this.#keyFilePath} cannot be created`, error);
    }
  }

  #unreadable(why: string, cause?: unknown): ConfigKeychainError {
    return new ConfigKeychainError('secret_file_unreadable', `The secrets file ${this.filePath} is unusable: ${why}.`, {
      cause,
    });
  }
}
