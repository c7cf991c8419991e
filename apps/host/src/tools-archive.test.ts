import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './test-support/cli.js';
import { freshHome, writeZip } from './test-support/packages.js';

const plugin = readFileSync(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }));
const archivePath = () => join(mkdtempSync(join(tmpdir(), 'osr-archive-')), 'test.plugin-1.0.0.zip');

/** `tools install <archive> --dev`: must fail with `message` and install nothing. */
function refused(archive: string, message: string): void {
  const home = freshHome();
  const result = run(['tools', 'install', archive, '--home', home, '--dev']);
  expect(result.code, result.stdout).toBe(1);
  expect(result.log).toContain(message);
  expect(existsSync(join(home, 'Tools', 'test.plugin'))).toBe(false);
}

describe('archive bounds', () => {
  it('installs an ordinary archive', () => {
    const archive = archivePath();
    writeZip(archive, { 'libplugin.so': plugin, 'web/index.html': Buffer.from('<p>hi</p>') });
    expect(run(['tools', 'install', archive, '--home', freshHome(), '--dev']).code).toBe(0);
  });

  it('refuses more than 20,000 files', () => {
    const archive = archivePath();
    const entries: Record<string, Buffer> = { 'libplugin.so': plugin };
    for (let i = 0; i < 20_000; i++) entries[`data/${i}.txt`] = Buffer.alloc(0);
    writeZip(archive, entries);
    refused(archive, 'Unzip failed: the archive holds more than 20000 files');
  });

  it('refuses an entry more than 32 directories deep and a name over 1,024 bytes', () => {
    const deep = archivePath();
    writeZip(deep, { 'libplugin.so': plugin, [`${'d/'.repeat(32)}file.txt`]: Buffer.from('x') });
    refused(deep, 'is 33 directories deep, over the limit of 32');
    const shallow = archivePath();
    writeZip(shallow, { 'libplugin.so': plugin, [`${'d/'.repeat(31)}file.txt`]: Buffer.from('x') });
    expect(run(['tools', 'install', shallow, '--home', freshHome(), '--dev']).code).toBe(0);

    const long = archivePath();
    writeZip(long, { 'libplugin.so': plugin, [`${'é'.repeat(511)}.txt`]: Buffer.from('x') });
    refused(long, 'an archive entry name is 1026 bytes long, over the 1024-byte limit');
  });

  it('refuses an expansion over 200:1 and more than 1 GiB expanded', () => {
    const bomb = archivePath();
    writeZip(bomb, { 'libplugin.so': plugin, 'zeros.bin': Buffer.alloc(8 * 1024 * 1024) }, true);
    refused(bomb, 'the archive expands more than 200 times its');

    // A central directory that declares 1.5 GiB (stored) for a 4-byte entry: refused before anything is read.
    const declared = archivePath();
    writeZip(declared, { 'libplugin.so': plugin, 'big.bin': Buffer.from('tiny') });
    const bytes = readFileSync(declared);
    const central = bytes.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    bytes.writeUInt32LE(1536 * 1024 * 1024, central + 20);
    bytes.writeUInt32LE(1536 * 1024 * 1024, central + 24);
    writeFileSync(declared, bytes);
    refused(declared, 'the archive expands to more than 1073741824 bytes');
  });

  it('refuses an archive over 256 MiB before reading it', () => {
    const huge = archivePath();
    writeFileSync(huge, '');
    truncateSync(huge, 256 * 1024 * 1024 + 1);
    refused(huge, `the archive is ${256 * 1024 * 1024 + 1} bytes, over the 268435456-byte limit`);
  });

  it('refuses an archive carrying two plugin libraries', () => {
    const archive = archivePath();
    writeZip(archive, { 'libplugin.so': plugin, 'lib/libextra.so': plugin });
    refused(archive, 'Invalid artifact layout: 2 libraries claim the id test.plugin (libextra.so, libplugin.so); a plugin ships exactly one');
  });
});
