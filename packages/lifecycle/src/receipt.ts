import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch as osArch } from 'node:os';

/** `receipt.json` in a version directory (LIFECYCLE.md §4). */
export interface PluginReceipt {
  plugin_id: string;
  version: string;
  /** ISO-8601 when written here; upstream's numeric Swift date is accepted when read. */
  installed_at: string | number;
  dylib_filename: string;
  /** Lower-case hex SHA-256 of the library. */
  dylib_sha256: string;
  platform: string;
  arch: string;
  public_keys?: { minisign?: string };
  artifact: { url: string; sha256: string; minisign?: { signature: string; key_id?: string }; size?: number };
}

/** The `os` / `arch` names this host matches in receipts and registry artifacts. */
export function hostPlatform(): { os: string; arch: string } {
  const os = process.platform === 'darwin' ? 'macos' : process.platform;
  const machine = osArch();
  return { os, arch: machine === 'x64' ? 'x86_64' : machine };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}

/** Decodes receipt text; undefined when it lacks the fields verification needs. */
export function decodeReceipt(text: string): PluginReceipt | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const receipt = value as Record<string, unknown>;
  for (const field of ['plugin_id', 'version', 'dylib_filename', 'dylib_sha256']) {
    if (typeof receipt[field] !== 'string') return undefined;
  }
  return value as PluginReceipt;
}
