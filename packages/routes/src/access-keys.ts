import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { RoutesError } from './errors.js';

/** What `list()` shows about a key: never the key itself. */
export interface AccessKeyInfo {
  id: string;
  label: string;
  createdAt: string;
}

interface StoredKey extends AccessKeyInfo {
  sha256: string;
}

const KEY_PREFIX = 'osk-v1-';

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * The host's access keys for `owner` routes and web UIs. Keys are shown once
 * when minted; the file keeps only their SHA-256, so a leaked file grants
 * nothing. Any listed key is valid for any plugin (upstream: no audience).
 * Every call rereads the file when it changed, so a key minted or revoked by
 * another process (the CLI beside a running server) counts at once.
 */
export class AccessKeyStore {
  private keys: StoredKey[];
  private readAs: string | undefined;

  /** `file` is a JSON file, created on the first mint (mode 0600). */
  constructor(private readonly file: string) {
    this.keys = this.read();
  }

  /** Creates a key and returns it in full; only its hash is stored. */
  mint(label = ''): { id: string; key: string } {
    this.refresh();
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID().toUpperCase();
    this.keys.push({ id, label, createdAt: new Date().toISOString(), sha256: digest(key).toString('hex') });
    this.write();
    return { id, key };
  }

  list(): AccessKeyInfo[] {
    this.refresh();
    return this.keys.map(({ id, label, createdAt }) => ({ id, label, createdAt }));
  }

  /** Removes a key by id; false when there was none. */
  revoke(id: string): boolean {
    this.refresh();
    const before = this.keys.length;
    this.keys = this.keys.filter((key) => key.id !== id);
    if (this.keys.length === before) return false;
    this.write();
    return true;
  }

  /** Whether `token` is a current key (constant-time per stored key). */
  verify(token: string): boolean {
    if (!token.startsWith(KEY_PREFIX)) return false;
    try {
      this.refresh();
    } catch {
      // A file that became unreadable grants nothing until it is repaired.
      this.keys = [];
      this.readAs = undefined;
      return false;
    }
    const presented = digest(token);
    return this.keys.some((key) => timingSafeEqual(Buffer.from(key.sha256, 'hex'), presented));
  }

  /** Rereads the file when its identity, size or time changed (an atomic write replaces the inode). */
  private refresh(): void {
    if (this.version(this.stat()) !== this.readAs) this.keys = this.read();
  }

  private stat(): Stats | undefined {
    try {
      return statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RoutesError('key_store_unreadable', `Cannot read the access-key file ${this.file}; check its permissions.`, { cause: error });
    }
  }

  private version(stats: Stats | undefined): string | undefined {
    return stats === undefined ? undefined : `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  }

  private read(): StoredKey[] {
    this.readAs = this.version(this.stat());
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RoutesError('key_store_unreadable', `Cannot read the access-key file ${this.file}; check its permissions.`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as { keys?: StoredKey[] };
      if (!Array.isArray(parsed.keys)) throw new TypeError('"keys" is not an array');
      return parsed.keys.filter((key) => typeof key.sha256 === 'string' && /^[0-9a-f]{64}$/.test(key.sha256));
    } catch (error) {
      throw new RoutesError('key_store_unreadable', `The access-key file ${this.file} is not valid; restore it or delete it and mint new keys.`, {
        cause: error,
      });
    }
  }

  private write(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomic.sync(this.file, `${JSON.stringify({ keys: this.keys }, null, 2)}\n`, { mode: 0o600 });
    this.readAs = this.version(this.stat());
  }
}
