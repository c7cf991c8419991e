import { close, closeSync, constants, fstat, fstatSync, open, openSync, read, readSync, realpath, realpathSync, type Stats, stat, statSync } from 'node:fs';
import { promisify } from 'node:util';
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

/**
 * The file-system calls `file_read` makes. The steps below are written once and yield each call, so
 * the same rules run on the event loop (each call awaited) and on a slot server's thread (each call
 * made synchronously, decision P194).
 */
const SYNC_FS = {
  realpath: (target: string): string => realpathSync.native(target),
  open: (target: string, flags: number): number => openSync(target, flags),
  fstat: (fd: number): Stats => fstatSync(fd),
  stat: (target: string): Stats => statSync(target),
  read: (fd: number, buffer: Buffer, offset: number, length: number, position: number): number => readSync(fd, buffer, offset, length, position),
  close: (fd: number): void => closeSync(fd),
};
type FsOps = typeof SYNC_FS;
type FsCall = { [K in keyof FsOps]: { readonly op: K; readonly args: Parameters<FsOps[K]> } }[keyof FsOps];
type Steps<T> = Generator<FsCall, T, unknown>;

const readAsync = promisify(read);
const ASYNC_FS: { [K in keyof FsOps]: (...args: Parameters<FsOps[K]>) => Promise<ReturnType<FsOps[K]>> } = {
  realpath: promisify(realpath.native),
  open: promisify(open),
  fstat: promisify(fstat),
  stat: promisify(stat),
  read: async (fd, buffer, offset, length, position) => (await readAsync(fd, buffer, offset, length, position)).bytesRead,
  close: promisify(close),
};

/** One file-system call, typed: `const real = yield* fsCall('realpath', target)`. */
function* fsCall<K extends keyof FsOps>(op: K, ...args: Parameters<FsOps[K]>): Steps<ReturnType<FsOps[K]>> {
  return (yield { op, args } as FsCall) as ReturnType<FsOps[K]>;
}

function runSync<T>(steps: Steps<T>): T {
  let step = steps.next();
  while (!step.done) {
    const { op, args } = step.value;
    let result: unknown;
    try {
      result = (SYNC_FS[op] as (...values: unknown[]) => unknown)(...args);
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(result);
  }
  return step.value;
}

async function runAsync<T>(steps: Steps<T>): Promise<T> {
  let step = steps.next();
  while (!step.done) {
    const { op, args } = step.value;
    let result: unknown;
    try {
      result = await (ASYNC_FS[op] as (...values: unknown[]) => Promise<unknown>)(...args);
    } catch (error) {
      step = steps.throw(error);
      continue;
    }
    step = steps.next(result);
  }
  return step.value;
}

/** Symlinks resolved; null when the path does not exist. */
function* realPathOrNull(target: string): Steps<string | null> {
  try {
    return yield* fsCall('realpath', target);
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
export function fileRead(home: string, requestJson: string | null): Promise<string | null> {
  return runAsync(fileReadSteps(home, requestJson));
}

/**
 * `fileRead` with every file-system call made synchronously, for a thread that may block (a slot
 * server's): the same rules and answers, without a round trip through libuv's pool per call.
 */
export function fileReadSync(home: string, requestJson: string | null): string | null {
  return runSync(fileReadSteps(home, requestJson));
}

function* fileReadSteps(home: string, requestJson: string | null): Steps<string | null> {
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
    const realArtifacts = yield* realPathOrNull(artifacts);
    const realTarget = realArtifacts ? yield* realPathOrNull(lexical) : null;
    // A missing file is only reported as missing inside the artifacts tree; elsewhere existence is not revealed.
    if (!realArtifacts || !realTarget) return isInside(lexical, artifacts) ? NOT_FOUND() : DENIED();
    if (!isInside(realTarget, realArtifacts)) return DENIED();

    // O_NOFOLLOW and O_NONBLOCK: a symlink swapped in after the check is refused, and a FIFO cannot block the open.
    let fd: number;
    try {
      fd = yield* fsCall('open', realTarget, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return NOT_FOUND();
      if (code === 'ELOOP') return DENIED();
      return readError(error);
    }
    try {
      const opened = yield* fsCall('fstat', fd);
      if (!opened.isFile()) return errorJson('read_error', 'Could not read the file: not a regular file.');
      // A directory swapped for a symlink between the check and the open would show up as a different inode here.
      const recheck = yield* realPathOrNull(realTarget);
      if (recheck !== realTarget || !sameFile(opened, yield* fsCall('stat', realTarget))) return DENIED();
      if (opened.size > FILE_READ_MAX_BYTES) return TOO_LARGE();
      // At most the size seen at open time, so a file that grows meanwhile cannot push the answer past the cap.
      const buffer = Buffer.alloc(opened.size);
      let size = 0;
      while (size < buffer.length) {
        const bytesRead = yield* fsCall('read', fd, buffer, size, buffer.length - size, size);
        if (bytesRead === 0) break;
        size += bytesRead;
      }
      return sortedJson({
        data: buffer.subarray(0, size).toString('base64'),
        size,
        mime_type: mimeTypeForPath(realTarget),
      });
    } finally {
      yield* fsCall('close', fd);
    }
  } catch (error) {
    return readError(error);
  }
}
