import { DEFAULT_HOST_ABI_LEVEL, isUuid } from '@osr-host/abi';
import { type HostAbiLevel, isHostAbiLevel } from '@osr-host/abi-struct';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { HostOptions } from '../host.js';
import { LOG_FORMATS, type LogFormat } from '../host-config.js';
import { resolveHome } from '../paths.js';
import { logger } from './io.js';

/** What commander hands an action: the options below, camel-cased. */
export interface HostOptionValues {
  home?: string;
  abi?: HostAbiLevel;
  agent?: string;
  port?: number;
  pluginId?: string;
  allowNet?: string[];
  isolate?: boolean;
  dev?: boolean;
  json?: boolean;
  logFormat?: LogFormat;
}

function parseLevel(value: string): HostAbiLevel {
  const level = Number(value);
  if (!isHostAbiLevel(level)) throw new InvalidArgumentError(`--abi takes a host ABI level from 1 to ${DEFAULT_HOST_ABI_LEVEL}, not "${value}".`);
  return level;
}

function parseAgent(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError(`--agent takes a UUID, not "${value}".`);
  return value.toUpperCase();
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`--port takes a port number, not "${value}".`);
  return port;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Every option the host's own commands share, described once. */
export const OPTION = {
  home: () => new Option('--home <dir>', 'plugin home (default $OSR_HOST_HOME, else ~/.osaurus)'),
  abi: () => new Option('--abi <level>', `host ABI level 1-${DEFAULT_HOST_ABI_LEVEL} presented to plugins`).argParser(parseLevel),
  agent: () => new Option('--agent <uuid>', "agent the calls run under (default: the host's default agent)").argParser(parseAgent),
  allowNet: () => new Option('--allow-net <host:port>', 'let plugins reach this address despite the SSRF guard (repeatable)').argParser(collect),
  isolate: () => new Option('--isolate', 'run each plugin in a child process of its own (a crash or hang costs only that plugin)'),
  dev: () => new Option('--dev', 'load plugins without receipt, signature and consent checks (development installs)'),
  pluginId: () => new Option('--plugin-id <id>', "plugin id for a library outside <home>/Tools (default: its manifest's plugin_id)"),
  port: () => new Option('--port <n>', 'port to listen on, on 127.0.0.1 (0 picks a free one)').default(1337).argParser(parsePort),
  json: () => new Option('--json', 'print JSON instead of a table'),
  logFormat: () =>
    new Option('--log-format <format>', 'log lines on stderr as JSON objects or text for a person (default: host.json logFormat, else pretty on a terminal, json otherwise)').choices(
      LOG_FORMATS,
    ),
} as const;

/** The options of every command that starts a host: where it lives and how it loads plugins. */
export function withHostRuntime(command: Command): Command {
  return command.addOption(OPTION.home()).addOption(OPTION.abi()).addOption(OPTION.allowNet()).addOption(OPTION.isolate()).addOption(OPTION.dev());
}

export function hostOptions(values: HostOptionValues): HostOptions {
  return {
    home: resolveHome(values.home),
    ...(values.abi !== undefined ? { level: values.abi } : {}),
    allowNet: values.allowNet ?? [],
    ...(values.isolate ? { isolate: true } : {}),
    ...(values.dev ? { dev: true } : {}),
    logger: logger(),
  };
}

