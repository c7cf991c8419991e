import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory, writeFileDurably } from './durable-file.js';

/** Scratch space under `<home>/Tools` (same filesystem, so renames out of it are atomic; hidden, so scans skip it). */
export const STAGING_DIRECTORY = '.staging';
const JOURNAL = 'journal.json';

/** Moves made while replacing an installed directory, so a killed install can be rolled back. */
interface Journal {
  target: string;
  backup: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One install's scratch directory, named `<pid>-<random>` so a later run can tell it was abandoned. */
export class StagingArea {
  readonly directory: string;

  private constructor(readonly toolsRoot: string) {
    this.directory = join(toolsRoot, STAGING_DIRECTORY, `${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(this.directory, { recursive: true });
  }

  /** Recovers abandoned installs first, then opens a fresh area. */
  static open(toolsRoot: string): StagingArea {
    recoverAbandonedInstalls(toolsRoot);
    return new StagingArea(toolsRoot);
  }

  path(...parts: string[]): string {
    return join(this.directory, ...parts);
  }

  /**
   * Replaces `target` with `replacement` by two renames. A journal written
   * first lets `recoverAbandonedInstalls` put the old directory back if the
   * process dies between them.
   */
  replaceDirectory(target: string, replacement: string): void {
    const backup = this.path('previous');
    writeFileDurably(this.path(JOURNAL), JSON.stringify({ target, backup } satisfies Journal));
    renameSync(target, backup);
    renameSync(replacement, target);
    syncDirectory(join(target, '..'));
    rmSync(this.path(JOURNAL));
  }

  /** Moves a directory out of the way so it can be deleted without a half-deleted state being visible. */
  takeAway(target: string): void {
    renameSync(target, this.path('removed'));
    syncDirectory(join(target, '..'));
  }

  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * Cleans the staging area of installs whose process is gone (killed midway):
 * an interrupted replacement is rolled back, everything else is deleted.
 * Nothing in staging was ever visible to the scanner.
 */
export function recoverAbandonedInstalls(toolsRoot: string): string[] {
  const staging = join(toolsRoot, STAGING_DIRECTORY);
  if (!existsSync(staging)) return [];
  const cleaned: string[] = [];
  for (const name of readdirSync(staging)) {
    const pid = Number.parseInt(name, 10);
    // Our own areas and those of installs still running are not abandoned.
    if (Number.isInteger(pid) && (pid === process.pid || processAlive(pid))) continue;
    const directory = join(staging, name);
    const journalPath = join(directory, JOURNAL);
    if (existsSync(journalPath)) {
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as Journal;
      if (!existsSync(journal.target) && existsSync(journal.backup)) renameSync(journal.backup, journal.target);
    }
    rmSync(directory, { recursive: true, force: true });
    cleaned.push(directory);
  }
  return cleaned;
}
