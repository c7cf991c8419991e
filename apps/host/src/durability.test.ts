import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { hostDatabasePath, pluginDatabasePath } from '@osr-host/storage';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, stopCommands } from './test-support/cli.js';

afterEach(stopCommands);

const scratch = mkdtempSync(join(tmpdir(), 'osr-host-durability-'));
const PLUGIN_ID = 'durable.plugin';
const KILLS = 4;

/** Rows a reader of the host database sees are committed: the Insights rows the host acknowledged. */
function insightsRowIds(home: string): number[] {
  const db = new Database(hostDatabasePath(home));
  try {
    return (db.prepare("SELECT id FROM insights_rows WHERE plugin_id = ? AND slot = 'db_exec'").all(PLUGIN_ID) as { id: number }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}

describe('SIGKILL while a plugin writes', () => {
  it(`loses no row the plugin was told was committed, nor an Insights row already stored (${KILLS} kills)`, async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const library = uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);
    const committed: number[] = [];
    const acknowledged: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const first = kill * 1_000_000;
      const writer = startCli(['invoke', library, 'commit_rows', `${first} 1000000`, '--raw', '--home', home, '--plugin-id', PLUGIN_ID]);
      // Each run is killed at a different depth into its writes, after Insights stored some of its rows.
      const depth = 200 + kill * 150;
      await writer.waitFor(/committed \d+/, depth);
      const before = acknowledged.length;
      for (let poll = 0; poll < 100 && acknowledged.length === before; poll++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const seen = insightsRowIds(home).filter((id) => !acknowledged.includes(id));
        acknowledged.push(...seen);
      }
      await writer.waitFor(/committed \d+/, depth + 100);
      writer.child.kill('SIGKILL');
      await new Promise((resolve) => writer.child.once('exit', resolve));
      committed.push(...[...writer.log().matchAll(/committed (\d+)/g)].map((match) => Number(match[1])));
    }

    console.log(`durability: ${KILLS} kills, ${committed.length} committed plugin rows and ${acknowledged.length} stored Insights rows checked`);
    const plugin = new Database(pluginDatabasePath(home, PLUGIN_ID));
    const host = new Database(hostDatabasePath(home));
    try {
      expect(plugin.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(host.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set((plugin.prepare('SELECT n FROM committed').pluck().all() as number[]));
      expect(committed.length).toBeGreaterThan(KILLS * 200);
      expect(committed.filter((n) => !stored.has(n))).toEqual([]);
      const rows = new Set(host.prepare('SELECT id FROM insights_rows').pluck().all() as number[]);
      expect(acknowledged.length).toBeGreaterThan(KILLS);
      expect(acknowledged.filter((id) => !rows.has(id))).toEqual([]);
    } finally {
      plugin.close();
      host.close();
    }
  });
});

describe('SIGKILL during an install', () => {
  /** A package directory as `tools install` takes it: the test plugin, whose version is 1.0.<abi>. */
  function packageOf(abi: number): { directory: string; library: Buffer } {
    const directory = join(mkdtempSync(join(scratch, 'package-')), `test.plugin-1.0.${abi}`);
    mkdirSync(directory);
    copyFileSync(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: abi } }), join(directory, 'libplugin.so'));
    return { directory, library: readFileSync(join(directory, 'libplugin.so')) };
  }

  it('leaves the installed version whole, whenever the upgrade is killed, and the next install completes', async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const [old, upgrade] = [packageOf(5), packageOf(6)];
    expect(runCli(['tools', 'install', old.directory, '--home', home, '--dev']).code).toBe(0);
    const versionsDirectory = join(home, 'Tools', 'test.plugin');
    let killedMidway = 0;
    // Killed as each step starts and a little into it (Checking loads the library in a child process).
    for (const [step, delayMs] of [
      [/Resolving/, 0],
      [/Unpacking/, 0],
      [/Unpacking/, 5],
      [/Checking/, 0],
      [/Checking/, 50],
      [/Checking/, 200],
    ] as const) {
      const install = startCli(['tools', 'install', upgrade.directory, '--home', home, '--dev']);
      await install.waitFor(step);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      install.child.kill('SIGKILL');
      const [, signal] = await new Promise<[number | null, string | null]>((resolve) => install.child.once('exit', (code, sig) => resolve([code, sig])));
      if (signal === 'SIGKILL') killedMidway++;
      // Whatever the moment, the next command sees a whole version: the old one, or the new one complete.
      const listed = runCli(['tools', 'list', '--home', home]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/test\.plugin/);
      for (const version of readdirSync(versionsDirectory).filter((name) => /^\d/.test(name))) {
        const library = join(versionsDirectory, version, 'libplugin.so');
        expect(existsSync(library), `${version} has its library`).toBe(true);
        expect(readFileSync(library).equals(version === '1.0.5' ? old.library : upgrade.library), `${version} is whole`).toBe(true);
      }
    }
    expect(killedMidway).toBeGreaterThan(0);
    const finished = runCli(['tools', 'install', upgrade.directory, '--home', home, '--dev']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(readdirSync(join(home, 'Tools', '.staging'))).toEqual([]);
    const installed = join(versionsDirectory, '1.0.6', 'libplugin.so');
    expect(readFileSync(installed).equals(upgrade.library)).toBe(true);
    expect(JSON.parse(runCli(['invoke', installed, 'echo', '"alive"', '--home', home]).stdout)).toEqual({ ok: true, result: 'alive' });
  });
});
