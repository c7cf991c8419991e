import type { ParseArgsConfig } from 'node:util';
import { INSIGHTS_CLI_COMMANDS, INSIGHTS_CLI_OPTIONS } from '@osr-host/insights';
import { MANIFEST_CLI_OPTIONS } from '@osr-host/manifest';

type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** The options of the commands `osr-host` parses itself (node:util `parseArgs`, strict). */
export const HOST_OPTIONS = {
  home: { type: 'string' },
  abi: { type: 'string' },
  agent: { type: 'string' },
  port: { type: 'string' },
  'plugin-id': { type: 'string' },
  'allow-net': { type: 'string', multiple: true },
  isolate: { type: 'boolean' },
  dev: { type: 'boolean' },
  registry: { type: 'string' },
  version: { type: 'string' },
  language: { type: 'string' },
  dir: { type: 'string' },
  consent: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionTable;

export type HostOption = keyof typeof HOST_OPTIONS;

/**
 * One way to call a command. `arguments` name its positionals in order: `<required>`,
 * `[optional]`, and a trailing `…` on the last one takes the rest of the words.
 */
export interface CommandForm {
  arguments: readonly string[];
  /** The options this form reads (`--help` goes with every form). */
  options: readonly string[];
  /** Options the form cannot run without. */
  requiredOptions?: readonly string[];
}

export interface CommandGrammar {
  /** The table the command's arguments are parsed with. */
  optionTable: OptionTable;
  /** A command without subcommands. */
  form?: CommandForm;
  /** A command whose first argument picks one of these. */
  subcommands?: Readonly<Record<string, CommandForm>>;
}

/** Options of every command that starts a host: where it lives and how it loads plugins. */
const HOST_RUNTIME: readonly HostOption[] = ['home', 'abi', 'allow-net', 'isolate', 'dev'];

const form = (args: readonly string[], options: readonly HostOption[], requiredOptions?: readonly HostOption[]): CommandForm =>
  requiredOptions ? { arguments: args, options, requiredOptions } : { arguments: args, options };

/** `osr-host help`, `osr-host --help` and `osr-host -h` print the usage. */
export const HELP_COMMANDS: readonly string[] = ['help', '--help', '-h'];

/**
 * What `osr-host` accepts: its commands, their subcommands, positional arguments and options.
 * The CLI dispatches and parses with these tables, and the documentation's command check reads
 * them, so every documented command is checked against the grammar the CLI really has.
 */
export const HOST_COMMANDS = {
  serve: { optionTable: HOST_OPTIONS, form: form([], [...HOST_RUNTIME, 'port', 'agent']) },
  invoke: { optionTable: HOST_OPTIONS, form: form(['<library>', '<tool_id>', '[payload-json]'], [...HOST_RUNTIME, 'agent', 'plugin-id']) },
  inspect: { optionTable: HOST_OPTIONS, form: form(['<library>'], [...HOST_RUNTIME, 'plugin-id']) },
  mcp: { optionTable: HOST_OPTIONS, form: form([], [...HOST_RUNTIME, 'agent']) },
  config: {
    optionTable: HOST_OPTIONS,
    subcommands: {
      get: form(['<plugin_id>', '<key>'], [...HOST_RUNTIME, 'agent']),
      set: form(['<plugin_id>', '<key>', '<value>'], [...HOST_RUNTIME, 'agent']),
      delete: form(['<plugin_id>', '<key>'], [...HOST_RUNTIME, 'agent']),
    },
  },
  keys: {
    optionTable: HOST_OPTIONS,
    subcommands: {
      mint: form(['[label]'], ['home']),
      list: form([], ['home']),
      revoke: form(['<id>'], ['home']),
    },
  },
  // Run by @osr-host/dispatch's runTasksCli, here or inside the running serve.
  tasks: {
    optionTable: HOST_OPTIONS,
    subcommands: {
      list: form([], HOST_RUNTIME),
      watch: form(['[task_id]'], HOST_RUNTIME),
      cancel: form(['<task_id>'], HOST_RUNTIME),
      answer: form(['<task_id>', '<text…>'], HOST_RUNTIME),
    },
  },
  tools: {
    optionTable: HOST_OPTIONS,
    subcommands: {
      list: form([], HOST_RUNTIME),
      install: form(['<dir|zip|url|id>'], ['home', 'dev', 'registry', 'version', 'consent']),
      consent: form(['<id>'], ['home']),
      verify: form(['[id]'], ['home']),
      doctor: form(['[id]'], ['home']),
      rollback: form(['<id>'], ['home']),
      package: form(['[dir]'], ['dir']),
      outdated: form([], ['home', 'registry'], ['registry']),
      search: form(['[query]'], ['registry'], ['registry']),
      upgrade: form(['<id>'], ['home', 'dev', 'registry'], ['registry']),
      remove: form(['<id>'], ['home']),
      uninstall: form(['<id>'], ['home']),
      reset: form([], ['home']),
      retry: form(['<id>'], ['home']),
      trust: form(['<key.pub>'], ['home']),
      create: form(['<name>'], ['language', 'dir']),
      reload: form([], ['home']),
      dev: form(['<dir>'], ['home']),
    },
  },
  agents: {
    optionTable: HOST_OPTIONS,
    subcommands: {
      list: form([], HOST_RUNTIME),
      add: form(['<name>'], HOST_RUNTIME),
      remove: form(['<UUID>'], HOST_RUNTIME),
      default: form(['[UUID]'], HOST_RUNTIME),
    },
  },
  // Parsed by @osr-host/insights' runInsightsCli.
  insights: {
    optionTable: INSIGHTS_CLI_OPTIONS,
    subcommands: Object.fromEntries(Object.entries(INSIGHTS_CLI_COMMANDS).map(([name, options]) => [name, { arguments: [], options }])),
  },
  // Parsed by @osr-host/manifest's runManifestCli.
  manifest: {
    optionTable: MANIFEST_CLI_OPTIONS,
    subcommands: { validate: { arguments: ['<file|->'], options: ['plugin-id', 'host-version'] } },
  },
} as const satisfies Record<string, CommandGrammar>;

export type HostCommand = keyof typeof HOST_COMMANDS;
