#!/usr/bin/env node
// Builds the native call bridge with the system C compiler. Run at install time, and again on
// first use if the library is missing or older than its sources. Plain JavaScript so that it
// runs on a fresh install, before any TypeScript is built.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const headerDirectory = join(packageRoot, 'include');
export const bridgeSource = join(packageRoot, 'native', 'osr_bridge.c');
const generatedHeader = join(packageRoot, 'native', 'osr_slots.generated.h');
export const remoteChannelHeader = join(packageRoot, 'native', 'osr_remote_channel.h');
export const sharedLibraryExtension = process.platform === 'darwin' ? '.dylib' : '.so';

export function bridgeLibraryPath() {
  return join(packageRoot, 'build', `${process.platform}-${process.arch}`, `libosr_bridge${sharedLibraryExtension}`);
}

export function cCompiler() {
  return process.env.CC || 'cc';
}

/** Compiles C sources into a shared library; the output file appears atomically. */
export function compileSharedLibrary(sources, output, extraArgs = []) {
  mkdirSync(dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.partial`;
  const args = ['-std=gnu11', '-O2', '-Wall', '-shared', '-fPIC', '-pthread', `-I${headerDirectory}`, ...sources, '-o', partial, ...extraArgs];
  if (process.platform === 'linux') args.push('-ldl');
  try {
    execFileSync(cCompiler(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (cause) {
    const error = new Error(
      cause.code === 'ENOENT'
        ? `No C compiler found (tried "${cCompiler()}"). Install one (Debian: apt-get install build-essential) or set CC, then retry.`
        : `Compiling ${sources.join(' ')} failed:\n${cause.stderr?.toString().trim() || cause.message}`,
      { cause },
    );
    error.code = 'native_build_failed';
    throw error;
  }
  renameSync(partial, output);
}

/** Builds the bridge when it is missing or older than its sources; returns its path. */
export function ensureBridgeLibrary() {
  const output = bridgeLibraryPath();
  const newestSource = Math.max(...[bridgeSource, generatedHeader, remoteChannelHeader, join(headerDirectory, 'osaurus_plugin.h')].map((file) => statSync(file).mtimeMs));
  if (!existsSync(output) || statSync(output).mtimeMs < newestSource) compileSharedLibrary([bridgeSource], output);
  return output;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(`@osr-host/abi-struct: native bridge at ${ensureBridgeLibrary()}`);
  } catch (error) {
    // The install goes on; loading a plugin later repeats this message.
    console.warn(`@osr-host/abi-struct: ${error.message}\nThen run \`npm rebuild @osr-host/abi-struct\`.`);
  }
}
