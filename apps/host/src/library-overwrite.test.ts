import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe, stopCommands } from './test-support/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-host-overwrite-'));
afterEach(stopCommands);

const testPlugin = (abi: number) => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: abi } });

describe('a loaded library overwritten in place', () => {
  it('does not crash serve on the next tools reload, which loads the new content', async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const directory = join(home, 'Tools', 'test.plugin', '1.0.0');
    mkdirSync(directory, { recursive: true });
    const library = join(directory, 'libtest.so');
    copyFileSync(testPlugin(5), library);
    const served = await startServe(['--dev', '--home', home]);
    const health = async () => ((await (await fetch(`http://127.0.0.1:${served.port}/health`)).json()) as { plugins: { version: string }[] }).plugins;
    expect(await health()).toEqual([expect.objectContaining({ version: '1.0.5' })]);

    // What `cp new.so installed.so` does: the same inode, new bytes.
    const inode = statSync(library).ino;
    writeFileSync(library, readFileSync(testPlugin(6)));
    expect(statSync(library).ino).toBe(inode);

    const reload = runCli(['tools', 'reload', '--home', home]);
    expect(reload.log).not.toMatch(/SIGSEGV|socket hang up|ECONNRESET/);
    expect(reload.code).toBe(0);
    expect(served.child.exitCode).toBeNull();
    expect(served.child.signalCode).toBeNull();
    expect(await health()).toEqual([expect.objectContaining({ version: '1.0.6' })]);
  }, 120_000);
});
