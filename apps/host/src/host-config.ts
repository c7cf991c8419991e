import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UUID_PATTERN } from '@osr-host/abi';
import { Ajv, type ErrorObject } from 'ajv';

/** How the host writes its log lines: one JSON object per line, or text for a person. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `<home>/config/host.json`, as the schema below allows it. */
export interface HostConfigFile {
  isolate?: boolean | string[];
  defaultAgent?: string;
  /**
   * The Osaurus release this host stands in for, checked against manifests' `min_osaurus`
   * (this host's own version is not an Osaurus version). Unset, the check is skipped with a note.
   */
  osaurusVersion?: string;
  /** Model ids `list_models` shows plugins; unset, every configured model. */
  exposedModels?: string[];
  /** Resident memory (MiB) an isolated plugin's process may use before it is restarted; 0 for no limit. */
  pluginMemoryLimitMb?: number;
  /** Log format when `--log-format` is not given (default: pretty on a terminal, else json). */
  logFormat?: LogFormat;
}

/**
 * The JSON Schema of host.json (draft-07), the one description of its keys: the host validates
 * every read against it, and the documentation publishes it for editors (`"$schema"` in the file).
 */
export const HOST_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'osr-host host.json',
  description: 'Settings of an osr-host home, in <home>/config/host.json. Every key is optional.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'The schema editors check this file against.' },
    isolate: {
      description: 'Run plugins in child processes of their own: true for all, or a list of plugin ids.',
      anyOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string', minLength: 1 } }],
    },
    defaultAgent: {
      type: 'string',
      description: 'UUID of the agent CLI and MCP calls run under (set with osr-host agents default).',
      pattern: UUID_PATTERN.source,
    },
    osaurusVersion: {
      type: 'string',
      description: "The Osaurus release this host stands in for, checked against manifests' min_osaurus and registry requirements.",
      pattern: '^\\d+(\\.\\d+){0,2}([-+][0-9A-Za-z.-]+)?$',
    },
    exposedModels: { type: 'array', items: { type: 'string' }, description: 'Model ids list_models shows plugins; unset, every configured model.' },
    pluginMemoryLimitMb: {
      type: 'number',
      minimum: 0,
      description: 'Resident memory (MiB) an isolated plugin process may use before it is restarted; 0 for no limit.',
    },
    logFormat: { enum: [...LOG_FORMATS], description: 'Log format when --log-format is not given (default: pretty on a terminal, else json).' },
  },
} as const;

/** A config file under `<home>/config` is not valid JSON, or host.json not what the schema allows; the message names the key and what to do. */
export class ConfigFileError extends Error {
  readonly code = 'invalid_config_file';
}

const validate = new Ajv({ allErrors: true, strict: true }).compile<HostConfigFile>(HOST_CONFIG_SCHEMA);

export function hostConfigPath(home: string): string {
  return join(home, 'config', 'host.json');
}

/** `<home>/config/host.json`, checked against the schema; `{}` when there is none. */
export function readHostConfig(home: string): HostConfigFile {
  const file = hostConfigPath(home);
  const value = readConfigFile(file);
  if (value === undefined) return {};
  if (validate(value)) return value;
  throw new ConfigFileError(
    `${file} is not valid: ${describeErrors(validate.errors ?? [], value).join('; ')}. Fix the file (its keys are ${Object.keys(HOST_CONFIG_SCHEMA.properties).join(', ')}; see the host.json reference in the operator guide).`,
  );
}

/** A JSON config file under `<home>/config`, or undefined when there is none. */
export function readConfigFile(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigFileError(`${file} is not valid JSON (${(cause as Error).message}); fix it or remove it.`, { cause });
  }
}

/** One phrase per wrong key; the types an `anyOf` allows are named together. */
function describeErrors(errors: readonly ErrorObject[], value: unknown): string[] {
  const allowedTypes = new Map<string, string[]>();
  const phrases: string[] = [];
  // A wrong item inside an array also fails the array's other `anyOf` branch; the item is the one to name.
  const deeper = (path: string) => errors.some((other) => other.instancePath.startsWith(`${path}/`));
  for (const error of errors) {
    if (error.keyword === 'anyOf' || (error.keyword === 'type' && deeper(error.instancePath))) continue;
    if (error.keyword !== 'type') phrases.push(describe(error));
    else if (allowedTypes.has(error.instancePath)) allowedTypes.get(error.instancePath)!.push(String(error.params.type));
    else allowedTypes.set(error.instancePath, [String(error.params.type)]);
  }
  for (const [path, types] of allowedTypes) {
    const found = path.split('/').slice(1).reduce<unknown>((at, step) => (at as Record<string, unknown>)[step], value);
    phrases.unshift(`${label(path)} must be ${types.map(withArticle).join(' or ')}, not ${Array.isArray(found) ? 'an array' : found === null ? 'null' : withArticle(typeof found)}`);
  }
  return phrases;
}

const keyOf = (instancePath: string) => instancePath.slice(1).replaceAll('/', '.');
const label = (instancePath: string) => (instancePath ? `"${keyOf(instancePath)}"` : 'the file');
/** What a key with a `pattern` takes, in words. */
const FORM: Record<string, string> = { defaultAgent: 'an agent UUID (see osr-host agents list)', osaurusVersion: 'a version such as 1.2.3' };
const withArticle = (type: string) => `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown key "${String(error.params.additionalProperty)}" (remove it or correct its spelling)`;
  const key = keyOf(error.instancePath);
  if (error.keyword === 'enum') return `"${key}" must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'pattern') return `"${key}" must be ${FORM[key] ?? `a string matching ${String(error.params.pattern)}`}`;
  return `${label(error.instancePath)} ${error.message}`;
}
