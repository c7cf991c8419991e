import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { watch } from 'chokidar';
import { DEV_INSTALL_FILE, devInstallFileContent } from './consent.js';
import { LifecycleError } from './errors.js';
import { libraryExtension, pluginDirectory, pluginHeaderPath } from './layout.js';

export interface DevLoopOptions {
  home: string;
  /** Reads a built library's manifest (a child `osr-host inspect`, so a bad build cannot hurt this process). */
  readManifest: (library: string) => Promise<{ plugin_id: string; version?: string }>;
  /** Asks a running host to reload; resolves with what it said, or null when none is running. */
  reload: () => Promise<string | null>;
  /** One progress line per step. */
  say: (line: string) => void;
}

/** How `tools dev` builds a project. */
export interface BuildPlan {
  /** The program and its arguments, run in the project directory. */
  command: string[];
  /** Where the built library is looked for after the build. */
  outputs: string;
}

/** The project's own build: make, cargo, or the C compiler (against this host's `osaurus_plugin.h`) for a single-file plugin. */
export function planBuild(directory: string): BuildPlan {
  if (existsSync(join(directory, 'Makefile'))) return { command: ['make'], outputs: join(directory, 'build') };
  if (existsSync(join(directory, 'Cargo.toml'))) {
    return { command: ['cargo', 'build', '--release', '--offline'], outputs: join(directory, 'target', 'release') };
  }
  const sources = readdirSync(directory).filter((file) => extname(file) === '.c');
  if (sources.length !== 1) {
    throw new LifecycleError('invalid_layout', `${directory} has no Makefile or Cargo.toml and ${sources.length} .c files; add a Makefile, or keep the plugin in one .c file.`);
  }
  const stem = basename(sources[0]!, '.c');
  const output = join(directory, 'build', `lib${stem}${libraryExtension}`);
  mkdirSync(join(directory, 'build'), { recursive: true });
  return {
    command: [process.env.CC || 'cc', '-std=gnu11', '-O2', '-Wall', '-shared', '-fPIC', `-I${dirname(pluginHeaderPath())}`, sources[0]!, '-o', output],
    outputs: join(directory, 'build'),
  };
}

function newestLibrary(directory: string): string | null {
  if (!existsSync(directory)) return null;
  const libraries = readdirSync(directory)
    .filter((file) => extname(file) === libraryExtension)
    .map((file) => join(directory, file));
  libraries.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return libraries[0] ?? null;
}

function runBuild(command: string[], directory: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolveBuild) => {
    execFile(command[0]!, command.slice(1), { cwd: directory, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveBuild({ ok: !error, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

/**
 * The dev loop (`osr-host tools dev <dir>`): build, install in dev mode, reload, and again on every
 * source change. Each build is installed under a new file name (`<stem>_<epochMillis>`), as
 * upstream does, because a process maps a library path once. A failed build prints the
 * compiler's errors and leaves the last good build installed.
 */
export class DevLoop {
  private readonly directory: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    directory: string,
    private readonly options: DevLoopOptions,
  ) {
    this.directory = resolve(directory);
  }

  /** Builds once, then on every change; resolves when `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // Watch before the first build, so a change made while it runs is built right after it.
    // Build outputs and hidden entries are not watched at all: a cargo target/ tree is large.
    const ignored = (path: string) => /^(build|target)([/\\]|$)|(^|[/\\])\./.test(relative(this.directory, path));
    const watcher = watch(this.directory, { ignored, ignoreInitial: true });
    watcher.on('all', (_event, path) => {
      clearTimeout(this.timer);
      // Editors write files in bursts: rebuild once the burst is over.
      this.timer = setTimeout(() => {
        const file = relative(this.directory, path);
        this.running = this.running.then(() => this.cycle(file));
      }, 150);
    });
    await new Promise<void>((ready) => watcher.once('ready', () => ready()));
    this.running = this.cycle('start');
    await this.running;
    this.options.say(`watching ${this.directory} (Ctrl-C to stop)`);
    await new Promise<void>((resolveRun) => signal.addEventListener('abort', () => resolveRun(), { once: true }));
    clearTimeout(this.timer);
    await watcher.close();
    await this.running;
  }

  /** One build → install → reload round; never throws, so the loop survives bad builds. */
  async cycle(reason: string): Promise<void> {
    const { say } = this.options;
    try {
      const plan = planBuild(this.directory);
      say(`build (${reason === 'start' ? 'first build' : `${reason} changed`}): ${plan.command.join(' ')}`);
      const build = await runBuild(plan.command, this.directory);
      if (!build.ok) {
        say(`build failed; the last good build stays installed:\n${build.output}`);
        return;
      }
      const library = newestLibrary(plan.outputs);
      if (!library) throw new Error(`the build produced no ${libraryExtension} in ${plan.outputs}`);
      const manifest = await this.options.readManifest(library);
      const version = manifest.version ?? '0.0.0';
      const target = join(pluginDirectory(this.options.home, manifest.plugin_id), version);
      mkdirSync(target, { recursive: true });
      // Marked as a development install, so a host started without --dev says it skips it, and why.
      writeFileSync(join(target, DEV_INSTALL_FILE), devInstallFileContent(new Date().toISOString()));
      // One library per version directory (D6): the new copy replaces the previous one.
      for (const old of readdirSync(target).filter((file) => extname(file) === libraryExtension)) rmSync(join(target, old));
      const installed = join(target, `${basename(library, libraryExtension)}_${Date.now()}${libraryExtension}`);
      copyFileSync(library, installed);
      say(`installed ${manifest.plugin_id} ${version} as ${installed}`);
      const answer = await this.options.reload();
      say(answer === null ? `no host is running on ${this.options.home}: start one with osr-host serve --dev --home ${this.options.home}` : `reloaded: ${answer}`);
    } catch (error) {
      say(`dev loop: ${(error as Error).message}`);
    }
  }
}
