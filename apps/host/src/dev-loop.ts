import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, type FSWatcher, mkdirSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { libraryExtension } from '@osr-host/lifecycle';

export interface DevLoopOptions {
  home: string;
  /** The C header directory for single-file plugins. */
  headerDirectory: string;
  /** Reads a built library's manifest (a child `osr-host inspect`, so a bad build cannot hurt this process). */
  readManifest: (library: string) => Promise<{ plugin_id: string; version?: string }>;
  /** Asks a running host to reload; resolves with what it said, or null when none is running. */
  reload: () => Promise<string | null>;
  /** One progress line per step. */
  say: (line: string) => void;
}

interface BuildPlan {
  command: string[];
  /** Where the built library is looked for after the build. */
  outputs: string;
}

/** The project's own build: make, cargo, or the C compiler for a single-file plugin. */
function planBuild(directory: string, headerDirectory: string): BuildPlan {
  if (existsSync(join(directory, 'Makefile'))) return { command: ['make'], outputs: join(directory, 'build') };
  if (existsSync(join(directory, 'Cargo.toml'))) {
    return { command: ['cargo', 'build', '--release', '--offline'], outputs: join(directory, 'target', 'release') };
  }
  const sources = readdirSync(directory).filter((file) => extname(file) === '.c');
  if (sources.length !== 1) {
    throw new Error(`${directory} has no Makefile or Cargo.toml and ${sources.length} .c files; add a Makefile, or keep the plugin in one .c file.`);
  }
  const stem = basename(sources[0]!, '.c');
  const output = join(directory, 'build', `lib${stem}${libraryExtension}`);
  mkdirSync(join(directory, 'build'), { recursive: true });
  return {
    command: [process.env.CC || 'cc', '-std=gnu11', '-O2', '-Wall', '-shared', '-fPIC', `-I${headerDirectory}`, sources[0]!, '-o', output],
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
 * `osr-host tools dev <dir>`: build, install in dev mode, reload, and again on every
 * source change. Each build is installed under a new file name (`<stem>_<epochMillis>`), as
 * upstream does, because a process maps a library path once. A failed build prints the
 * compiler's errors and leaves the last good build installed.
 */
export class DevLoop {
  private readonly directory: string;
  private watcher: FSWatcher | undefined;
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
    this.watcher = watch(this.directory, { recursive: true }, (_event, file) => {
      if (!file || /^(build|target)([/\\]|$)|(^|[/\\])\./.test(file)) return;
      clearTimeout(this.timer);
      // Editors write files in bursts: rebuild once the burst is over.
      this.timer = setTimeout(() => {
        this.running = this.running.then(() => this.cycle(file));
      }, 150);
    });
    this.running = this.cycle('start');
    await this.running;
    this.options.say(`watching ${this.directory} (Ctrl-C to stop)`);
    await new Promise<void>((resolveRun) => signal.addEventListener('abort', () => resolveRun(), { once: true }));
    clearTimeout(this.timer);
    this.watcher.close();
    await this.running;
  }

  /** One build → install → reload round; never throws, so the loop survives bad builds. */
  async cycle(reason: string): Promise<void> {
    const { say } = this.options;
    try {
      const plan = planBuild(this.directory, this.options.headerDirectory);
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
      const target = join(this.options.home, 'Tools', manifest.plugin_id, version);
      mkdirSync(target, { recursive: true });
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
