import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { lookup } from 'mime-types';
import { errorJson, parseRequestObject, sortedJson } from './envelope.js';

/** Largest file `file_read` returns (HOST_API.md §8). */
export const FILE_READ_MAX_BYTES = 50_000_000;

/** The MIME type `file_read` reports for a path, by extension (the mime-db table), else `application/octet-stream`. */
export function mimeTypeForPath(filePath: string): string {
  return lookup(path.basename(filePath)) || 'application/octet-stream';
}

function isInside(child: string, parent: string): boolean {
  return child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);
}

const DENIED = () => errorJson('access_denied', 'File read restricted to artifact paths');
const NOT_FOUND = () => errorJson('not_found', 'File does not exist');
const TOO_LARGE = () => errorJson('file_too_large', 'File exceeds 50MB limit');
const readError = (error: unknown) =>
  errorJson('read_error', `Could not read the file: ${(error as Error).message ?? String(error)}`);

/** Symlinks resolved; null when the path does not exist. */
async function realPathOrNull(target: string): Promise<string | null> {
  try {
    return await realpath(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

const sameFile = (a: Stats, b: Stats) => a.dev === b.dev && a.ino === b.ino;

/**
 * The `file_read` host callback: reads a file inside `<home>/artifacts/`,
 * judged after resolving symlinks (D13). Always answers a JSON string (an
 * envelope on failure); NULL in, NULL out.
 */
export async function fileRead(home: string, requestJson: string | null): Promise<string | null> {
  if (requestJson === null) return null;
  const request = parseRequestObject(requestJson);
  if (typeof request === 'string') return request;
  const requested = request['path'];
  if (typeof requested !== 'string' || requested === '') {
    return errorJson('invalid_request', 'Missing required field: path');
  }
  if (requested.includes('\u0000')) return errorJson('invalid_request', 'path contains a NUL byte.');
  if (!path.isAbsolute(requested)) {
    return errorJson('invalid_request', `path must be absolute, under ${path.join(home, 'artifacts')}/.`);
  }
  const artifacts = path.resolve(home, 'artifacts');
  // `..` collapses here; where the path lands is judged after symlinks are resolved below.
  const lexical = path.resolve(requested);
  try {
    const realArtifacts = await realPathOrNull(artifacts);
    const realTarget = realArtifacts ? await realPathOrNull(lexical) : null;
    // A missing file is only reported as missing inside the artifacts tree; elsewhere existence is not revealed.
    if (!realArtifacts || !realTarget) return isInside(lexical, artifacts) ? NOT_FOUND() : DENIED();
    if (!isInside(realTarget, realArtifacts)) return DENIED();

    // O_NOFOLLOW and O_NONBLOCK: a symlink swapped in after the check is refused, and a FIFO cannot block the open.
    const handle = await open(realTarget, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
      (error: NodeJS.ErrnoException) => error,
    );
    if (handle instanceof Error) {
      if (handle.code === 'ENOENT') return NOT_FOUND();
      if (handle.code === 'ELOOP') return DENIED();
      return readError(handle);
    }
    try {
      const opened = await handle.stat();
      if (!opened.isFile()) return errorJson('read_error', 'Could not read the file: not a regular file.');
      // A directory swapped for a symlink between the check and the open would show up as a different inode here.
      const recheck = await realPathOrNull(realTarget);
      if (recheck !== realTarget || !sameFile(opened, await stat(realTarget))) return DENIED();
      if (opened.size > FILE_READ_MAX_BYTES) return TOO_LARGE();
      // At most the size seen at open time, so a file that grows meanwhile cannot push the answer past the cap.
      const buffer = Buffer.alloc(opened.size);
      let size = 0;
      while (size < buffer.length) {
        const { bytesRead } = await handle.read(buffer, size, buffer.length - size, size);
        if (bytesRead === 0) break;
        size += bytesRead;
      }
      return sortedJson({
        data: buffer.subarray(0, size).toString('base64'),
        size,
        mime_type: mimeTypeForPath(realTarget),
      });
    } finally {
      await handle.close();
    }
  } catch (error) {
    return readError(error);
  }
}
