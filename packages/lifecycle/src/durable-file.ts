import { closeSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** fsync a directory so a rename or unlink inside it survives a power cut. */
export function syncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `content` so that after a crash at any point the file
 * holds either the old or the new content: write-file-atomic writes a temp
 * file, fsyncs it and renames it over `path`; the fsync of the directory
 * makes the rename itself survive a power cut.
 */
export function writeFileDurably(path: string, content: string | Uint8Array): void {
  const data = typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  writeFileAtomic.sync(path, data, { mode: 0o644, fsync: true });
  syncDirectory(dirname(path));
}

/** Removes `path` (if present) and makes the removal durable. */
export function removeFileDurably(path: string): void {
  rmSync(path, { force: true });
  syncDirectory(dirname(path));
}
