import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { LifecycleError } from './errors.js';

/** Largest download or archive accepted (LIFECYCLE.md §7: 256 MiB). */
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;
/** Largest total of extracted bytes, against zip bombs. */
export const MAX_EXTRACTED_BYTES = 1024 * 1024 * 1024;
/** Most files (directories aside) one archive may hold. */
export const MAX_ARCHIVE_FILES = 20_000;
/** Most path components of one entry name. */
export const MAX_ENTRY_DEPTH = 32;
/** Longest entry name, in UTF-8 bytes. */
export const MAX_ENTRY_NAME_BYTES = 1024;
/** Largest ratio of extracted bytes to archive bytes. */
export const MAX_EXPANSION_RATIO = 200;

/** Where installs write file contents; tests inject failures (a full disk) here. */
export interface FileWriter {
  writeFile(path: string, data: Uint8Array): void;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function unzipFailed(message: string, cause?: unknown): LifecycleError {
  return new LifecycleError('invalid_archive', `Unzip failed: ${message}`, cause === undefined ? undefined : { cause });
}

/** Rejects names that would land outside the destination (zip-slip), or are too long or deep, before yauzl sees them. */
function checkEntryName(name: string, nameBytes: number): void {
  const normalised = name.replaceAll('\\', '/');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised) || normalised.split('/').includes('..')) {
    throw unzipFailed(`archive entry '${name}' points outside the plugin directory; rebuild the archive with relative paths only`);
  }
  if (nameBytes > MAX_ENTRY_NAME_BYTES) {
    throw unzipFailed(`an archive entry name is ${nameBytes} bytes long, over the ${MAX_ENTRY_NAME_BYTES}-byte limit; shorten the paths in the package`);
  }
  const depth = normalised.split('/').filter((part) => part !== '' && part !== '.').length;
  if (depth > MAX_ENTRY_DEPTH) {
    throw unzipFailed(`archive entry '${name.slice(0, 80)}…' is ${depth} directories deep, over the limit of ${MAX_ENTRY_DEPTH}; flatten the package`);
  }
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings stays off so our own name check (with a clear message) runs on every entry.
    yauzl.open(path, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (error, zip) =>
      error ? reject(unzipFailed(error.message, error)) : resolve(zip),
    );
  });
}

function readEntry(zip: ZipFile, entry: Entry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) return reject(unzipFailed(error.message, error));
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (streamError) => reject(unzipFailed(streamError.message, streamError)));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * Extracts a plugin archive into `destination` (which must be empty). Refuses
 * the whole archive, before writing anything of a bad entry, when an entry
 * escapes the destination, is a symbolic link or any other non-regular file,
 * or when the archive passes one of the bounds above (size, expanded size,
 * file count, entry depth and name length, expansion ratio).
 */
export async function extractZip(archive: string, destination: string, writer: FileWriter): Promise<string[]> {
  const archiveBytes = statSync(archive).size;
  if (archiveBytes > MAX_ARCHIVE_BYTES) throw unzipFailed(`the archive is ${archiveBytes} bytes, over the ${MAX_ARCHIVE_BYTES}-byte limit`);
  const zip = await openZip(archive);
  const written: string[] = [];
  let total = 0;
  let files = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) => reject(unzipFailed(error.message, error)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: Entry) => {
        (async () => {
          const rawName = entry.fileName as unknown as Buffer;
          const name = rawName.toString('utf8');
          checkEntryName(name, rawName.length);
          const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
          const madeByUnix = entry.versionMadeBy >> 8 === 3;
          if (madeByUnix && mode === S_IFLNK) {
            throw unzipFailed(`archive entry '${name}' is a symbolic link; plugin archives may contain regular files only`);
          }
          if (madeByUnix && mode !== 0 && mode !== S_IFLNK && mode !== 0o100000 && mode !== 0o040000) {
            throw unzipFailed(`archive entry '${name}' is not a regular file or directory`);
          }
          const target = join(destination, ...posix.normalize(name.replaceAll('\\', '/')).split('/'));
          if (name.endsWith('/')) {
            mkdirSync(target, { recursive: true });
          } else {
            files += 1;
            if (files > MAX_ARCHIVE_FILES) throw unzipFailed(`the archive holds more than ${MAX_ARCHIVE_FILES} files`);
            total += entry.uncompressedSize;
            if (total > MAX_EXTRACTED_BYTES) throw unzipFailed(`the archive expands to more than ${MAX_EXTRACTED_BYTES} bytes`);
            if (total > MAX_EXPANSION_RATIO * archiveBytes) {
              throw unzipFailed(`the archive expands more than ${MAX_EXPANSION_RATIO} times its ${archiveBytes} bytes, which is how zip bombs look`);
            }
            const data = await readEntry(zip, entry);
            mkdirSync(dirname(target), { recursive: true });
            writer.writeFile(target, data);
            written.push(target);
          }
          zip.readEntry();
        })().catch(reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return written;
}
