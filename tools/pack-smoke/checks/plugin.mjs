// Compiles the smoke plugin against the header shipped in the installed @osr-host/abi-struct tarball.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const consumer = join(dirname(fileURLToPath(import.meta.url)), '..');

export function smokePlugin() {
  const library = join(consumer, 'libsmoke.so');
  if (existsSync(library)) return library;
  const header = createRequire(import.meta.url).resolve('@osr-host/abi-struct/include/osaurus_plugin.h');
  execFileSync(process.env.CC || 'cc', ['-std=gnu11', '-shared', '-fPIC', `-I${dirname(header)}`, join(consumer, 'smoke_plugin.c'), '-o', library], {
    stdio: 'inherit',
  });
  return library;
}
