import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeFileDurably, writeFileDurably } from './durable-file.js';
import { activeVersion } from './layout.js';

export const LOADING_MARKER = '.currently_loading';
export const QUARANTINE_FILE = '.quarantine';

/** The upstream message for a quarantined plugin (ABI.md §8). */
/** What `tools list` and the scan say about a quarantined plugin: the CLI commands that recover it. */
export function quarantineMessage(pluginId: string): string {
  return `Plugin quarantined after a crash during load — run osr-host tools retry ${pluginId} to load it again, or osr-host tools remove ${pluginId} to uninstall it.`;
}

/**
 * One quarantined plugin: the plugin version and host build that crashed.
 * Legacy rows (a bare id string) have null stamps and are never auto-released.
 */
export interface QuarantineRow {
  id: string;
  version: string | null;
  build: string | null;
}

/** What the scan decided about the quarantine list. */
export interface QuarantineReview {
  /** Rows still in force: those plugins must not load. */
  quarantined: QuarantineRow[];
  /** Rows released for one attempt (upgrade of the plugin or the host), or because the install vanished. */
  released: QuarantineRow[];
  /** The plugin id a surviving marker put in quarantine, if any. */
  promoted: string | null;
}

/**
 * The crash-loop guard of ABI.md §8 and D5 for one tools root
 * (`<home>/Tools`). `hostBuild` identifies the running host build; a row
 * stamped with another build is released once.
 */
export class CrashGuard {
  readonly markerPath: string;
  readonly quarantinePath: string;

  constructor(
    readonly toolsRoot: string,
    readonly hostBuild: string,
  ) {
    this.markerPath = join(toolsRoot, LOADING_MARKER);
    this.quarantinePath = join(toolsRoot, QUARANTINE_FILE);
  }

  /** Writes the marker durably; it survives a crash of this process. */
  markLoading(pluginId: string): void {
    mkdirSync(this.toolsRoot, { recursive: true });
    writeFileDurably(this.markerPath, pluginId);
  }

  clearLoading(): void {
    removeFileDurably(this.markerPath);
  }

  /**
   * Runs `step` (dlopen + init + manifest, or the ABI probe) with the marker
   * held. A thrown error is an ordinary load failure, not a crash, so the
   * marker is cleared either way; only a dead process leaves it behind.
   */
  async whileLoading<T>(pluginId: string, step: () => Promise<T>): Promise<T> {
    this.markLoading(pluginId);
    try {
      return await step();
    } finally {
      this.clearLoading();
    }
  }

  /** The id in a surviving marker; null when there is none or it holds only whitespace. */
  survivingMarker(): string | null {
    if (!existsSync(this.markerPath)) return null;
    const id = readFileSync(this.markerPath, 'utf8').trim();
    return id === '' ? null : id;
  }

  read(): QuarantineRow[] {
    if (!existsSync(this.quarantinePath)) return [];
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.quarantinePath, 'utf8'));
    } catch {
      return [];
    }
    if (!Array.isArray(value)) return [];
    const rows: QuarantineRow[] = [];
    for (const item of value) {
      if (typeof item === 'string') rows.push({ id: item, version: null, build: null });
      else if (typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string') {
        const { id, version, build } = item as { id: string; version?: unknown; build?: unknown };
        rows.push({ id, version: typeof version === 'string' ? version : null, build: typeof build === 'string' ? build : null });
      }
    }
    return rows;
  }

  private write(rows: readonly QuarantineRow[]): void {
    if (rows.length === 0 && !existsSync(this.quarantinePath)) return;
    mkdirSync(this.toolsRoot, { recursive: true });
    writeFileDurably(this.quarantinePath, `${JSON.stringify(rows)}\n`);
  }

  /** Adds (or re-stamps) a row for `pluginId` with its installed version and this host build. */
  quarantine(pluginId: string): QuarantineRow {
    const row: QuarantineRow = { id: pluginId, version: activeVersion(join(this.toolsRoot, pluginId)), build: this.hostBuild };
    this.write([...this.read().filter((existing) => existing.id !== pluginId), row]);
    return row;
  }

  /**
   * Start of every scan: promotes a surviving marker into the quarantine,
   * then releases rows whose plugin version or host build changed (once:
   * the row is consumed) and rows whose install vanished.
   */
  review(): QuarantineReview {
    const promoted = this.survivingMarker();
    if (promoted !== null) this.quarantine(promoted);
    if (existsSync(this.markerPath)) this.clearLoading();

    const quarantined: QuarantineRow[] = [];
    const released: QuarantineRow[] = [];
    for (const row of this.read()) {
      const installed = activeVersion(join(this.toolsRoot, row.id));
      const stamped = row.version !== null || row.build !== null;
      const upgraded = stamped && (installed !== row.version || this.hostBuild !== row.build);
      if (installed === null || upgraded) released.push(row);
      else quarantined.push(row);
    }
    if (released.length > 0) this.write(quarantined);
    return { quarantined, released, promoted };
  }

  isQuarantined(pluginId: string): boolean {
    return this.read().some((row) => row.id === pluginId);
  }

  /** The "Retry" action: removes the plugin's row and the marker. */
  release(pluginId: string): boolean {
    const rows = this.read();
    const remaining = rows.filter((row) => row.id !== pluginId);
    if (remaining.length !== rows.length) this.write(remaining);
    if (existsSync(this.markerPath)) this.clearLoading();
    return remaining.length !== rows.length;
  }

  /** `tools reset`: deletes both the marker and the quarantine list. */
  reset(): void {
    for (const path of [this.markerPath, this.quarantinePath]) if (existsSync(path)) removeFileDurably(path);
  }
}
