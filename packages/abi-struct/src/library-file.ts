import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { AbiError } from './errors.js';

const ELF_MAGIC = 0x7f454c46;
const PT_LOAD = 1;
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MACHINE_BY_ARCH: Partial<Record<NodeJS.Architecture, { machine: number; name: string }>> = {
  x64: { machine: 62, name: 'x86-64' },
  arm64: { machine: 183, name: 'AArch64' },
  riscv64: { machine: 243, name: 'RISC-V' },
  ppc64: { machine: 21, name: 'PowerPC64' },
  s390x: { machine: 22, name: 'S/390' },
};
const MACHINE_NAMES: Record<number, string> = { 3: 'x86 (32-bit)', 40: 'ARM (32-bit)', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

function fail(path: string, reason: string): never {
  throw new AbiError('library_load_failed', `Failed to load plugin library: ${path}: ${reason}`);
}

/**
 * Checks an ELF shared library before dlopen: the dynamic linker maps
 * segments without checking they fit in the file, so a truncated library
 * would crash the whole process with SIGBUS instead of failing to load.
 * Also names 32-bit and foreign-architecture files plainly. Non-ELF files
 * (Mach-O on macOS, or junk) are left to the dynamic linker's own checks.
 */
export function preflightLibraryFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    fail(path, code === 'ENOENT' ? 'No such file' : `cannot open the file (${code ?? String(cause)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) fail(path, "it is a directory; pass the plugin's library file (lib<name>.so) instead");
    if (!stat.isFile()) fail(path, 'it is not a regular file');
    const size = stat.size;
    const read = (offset: number, length: number) => {
      const buffer = Buffer.alloc(length);
      return readSync(fd, buffer, 0, length, offset) === length ? buffer : null;
    };
    const header = read(0, 64);
    if (!header || header.readUInt32BE(0) !== ELF_MAGIC) return;
    if (header[4] !== 2) fail(path, 'it is a 32-bit library; this host runs 64-bit code only');
    if (header[5] !== (hostIsLittleEndian ? 1 : 2)) fail(path, 'its byte order does not match this machine');
    const littleEndian = header[5] === 1;
    const u16 = (b: Buffer, o: number) => (littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u64 = (b: Buffer, o: number) => Number(littleEndian ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const machine = u16(header, 18);
    const expected = MACHINE_BY_ARCH[process.arch];
    if (expected && machine !== expected.machine) {
      fail(path, `it is built for ${MACHINE_NAMES[machine] ?? `machine type ${machine}`}, but this host runs on ${expected.name}`);
    }
    const programHeaderOffset = u64(header, 32);
    const sectionHeaderOffset = u64(header, 40);
    const programHeaderSize = u16(header, 54);
    const programHeaderCount = u16(header, 56);
    const sectionHeaderSize = u16(header, 58);
    const sectionHeaderCount = u16(header, 60);
    function truncated(needed: number): never {
      return fail(path, `the file is truncated (needs ${needed} bytes, has ${size})`);
    }
    if (programHeaderOffset + programHeaderSize * programHeaderCount > size) truncated(programHeaderOffset + programHeaderSize * programHeaderCount);
    if (sectionHeaderOffset + sectionHeaderSize * sectionHeaderCount > size) truncated(sectionHeaderOffset + sectionHeaderSize * sectionHeaderCount);
    for (let index = 0; index < programHeaderCount; index++) {
      const entry = read(programHeaderOffset + index * programHeaderSize, programHeaderSize);
      if (!entry) truncated(programHeaderOffset + (index + 1) * programHeaderSize);
      const type = littleEndian ? entry.readUInt32LE(0) : entry.readUInt32BE(0);
      const fileEnd = u64(entry, 8) + u64(entry, 32);
      if (type === PT_LOAD && fileEnd > size) truncated(fileEnd);
    }
  } finally {
    closeSync(fd);
  }
}

/** Where private copies live: one directory per user, created 0700, refused if anyone else could write it. */
function privateCopyDirectory(): string {
  const uid = process.getuid?.();
  const directory = join(tmpdir(), `osr-host-libraries-${uid ?? 'user'}`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stat = lstatSync(directory);
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) {
    throw new AbiError(
      'library_load_failed',
      `Failed to load plugin library: the private copy directory ${directory} is not a directory only this user can write; remove it and retry.`,
    );
  }
  return directory;
}

/**
 * The file to hand the dynamic linker for `path`: a private copy that no one
 * else writes. The linker maps the file it opened, so a library overwritten
 * in place while loaded (same inode, as `cp` does) would change the code
 * under the plugin's running threads and crash the process on its next call
 * or reload. The copy is named by the original path and its content: loading
 * unchanged content again maps the same instance, as the original path
 * would, and changed content gets a fresh one.
 */
export function privateLibraryCopy(path: string): string {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (cause) {
    fail(path, `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`);
  }
  const name = createHash('sha256').update(resolve(path)).update('\0').update(content).digest('hex').slice(0, 32);
  const copy = join(privateCopyDirectory(), `${name}${extname(path)}`);
  // A cache entry, rebuilt from the original after a crash: atomic so no reader maps half a file, not fsynced.
  if (!existsSync(copy)) writeFileAtomic.sync(copy, content, { mode: 0o700, fsync: false });
  return copy;
}
