import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureSources } from '@osr-host/abi-struct/testing';
import { describe, expect, it } from 'vitest';
import { DEV_INSTALL_FILE, DevLoop, LifecycleError, libraryExtension, planBuild, scanPlugins } from './index.js';
import { temporaryDirectory } from './test-support/plugins.js';

const PLUGIN_ID = 'dev.edge';

/** A single-file C plugin project: the edge fixture as `plugin.c`. */
function singleFileProject(): { directory: string; source: string } {
  const directory = join(temporaryDirectory('osr-dev-project-'), 'edge');
  mkdirSync(directory);
  const source = join(directory, 'plugin.c');
  copyFileSync(fixtureSources.edgePlugin, source);
  return { directory, source };
}

/** Resolves with the first line `say` printed that matches, counting earlier matches. */
function lineWaiter(lines: string[]) {
  return async (pattern: RegExp, occurrence = 1): Promise<string> => {
    for (;;) {
      const matches = lines.filter((line) => pattern.test(line));
      if (matches.length >= occurrence) return matches[occurrence - 1]!;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
}

describe('planBuild', () => {
  it('uses the Makefile, then Cargo.toml, then the C compiler for one .c file', () => {
    const { directory } = singleFileProject();
    const single = planBuild(directory);
    expect(single.command).toEqual(expect.arrayContaining(['-shared', 'plugin.c', '-o', join(directory, 'build', `libplugin${libraryExtension}`)]));
    expect(single.command.find((argument) => argument.startsWith('-I'))).toMatch(/abi-struct[/\\]include$/);

    writeFileSync(join(directory, 'Cargo.toml'), '[package]\n');
    expect(planBuild(directory)).toEqual({ command: ['cargo', 'build', '--release', '--offline'], outputs: join(directory, 'target', 'release') });
    writeFileSync(join(directory, 'Makefile'), 'all:\n');
    expect(planBuild(directory)).toEqual({ command: ['make'], outputs: join(directory, 'build') });
  });

  it('refuses a project with neither a build file nor exactly one .c file, saying what to add', () => {
    const { directory } = singleFileProject();
    writeFileSync(join(directory, 'second.c'), '');
    let thrown: unknown;
    try {
      planBuild(directory);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LifecycleError);
    expect(thrown).toMatchObject({ code: 'invalid_layout', message: expect.stringMatching(/2 \.c files; add a Makefile/) });
  });
});

describe('DevLoop', () => {
  it('builds, installs as a development build, reloads on every change and keeps the last good build when one fails', async () => {
    const home = temporaryDirectory('osr-dev-home-');
    const { directory, source } = singleFileProject();
    const lines: string[] = [];
    const waitFor = lineWaiter(lines);
    let reloads = 0;
    const loop = new DevLoop(directory, {
      home,
      readManifest: async () => ({ plugin_id: PLUGIN_ID, version: '1.2.0' }),
      reload: async () => `reload ${++reloads}`,
      say: (line) => lines.push(line),
    });
    const stop = new AbortController();
    const running = loop.run(stop.signal);

    const installed = /^installed dev\.edge 1\.2\.0 as (\S+)$/;
    const first = installed.exec(await waitFor(installed))![1]!;
    await waitFor(/^watching /);
    expect(lines).toContain('reloaded: reload 1');
    const versionDirectory = join(home, 'Tools', PLUGIN_ID, '1.2.0');
    expect(existsSync(join(versionDirectory, DEV_INSTALL_FILE))).toBe(true);
    // A host started without --dev skips the build and says why, rather than failing its signature check.
    const scan = scanPlugins(home, { hostBuild: 'test', trustedKeys: [] });
    expect(scan.failures).toEqual([expect.objectContaining({ pluginId: PLUGIN_ID, reason: 'dev_install' })]);
    expect(scanPlugins(home, { hostBuild: 'test', trustedKeys: [], dev: true }).plugins.map((plugin) => plugin.pluginId)).toEqual([PLUGIN_ID]);

    writeFileSync(source, `${readFileSync(source, 'utf8')}\nthis is not C;\n`);
    await waitFor(/^build failed; the last good build stays installed:\n[\s\S]*error/);
    expect(existsSync(first)).toBe(true);

    writeFileSync(source, readFileSync(fixtureSources.edgePlugin, 'utf8'));
    const second = installed.exec(await waitFor(installed, 2))![1]!;
    expect(second).not.toBe(first);
    expect(readdirSync(versionDirectory).filter((file) => file.endsWith(libraryExtension))).toEqual([second.slice(versionDirectory.length + 1)]);
    await waitFor(/^reloaded: reload 2$/);

    stop.abort();
    await running;
  });
});
