import type { z } from 'zod';
import { inspectJsonValue, MAX_MANIFEST_BYTES, scanJsonText, tooLargeProblem } from './json-input.js';
import { describeJsonType, formatJsonPath, type PathSegment, valueAtPath } from './json-path.js';
import { isRecognizedPermissionPolicy } from './effective-values.js';
import { escapeControlCharacters, type ManifestProblem } from './problems.js';
import { isHttpMethodToken, routePathIssues } from './route-path.js';
import { type Manifest, manifestSchema } from './schema.js';
import { checkMinMacos, checkMinOsaurus, formatMacosVersion, parseSemanticVersion } from './versions.js';
import { shadowedRouteMessage, webMountCaptures } from './web-mount.js';

export interface ParseManifestOptions {
  /** The install directory's id; `plugin_id` must equal it (D6). */
  expectedPluginId?: string;
  /** The running host's version, for `min_osaurus`; without it the check is skipped (with a note). */
  hostVersion?: string;
  /** Defaults to `process.platform`; `min_macos` is only enforced on `darwin`. */
  platform?: NodeJS.Platform;
  /** The macOS version (`14.4.1`), for `min_macos` on `darwin`; without it the check is skipped (with a note). */
  macosVersion?: string;
}

/**
 * `ok: true` carries the normalised manifest (unknown keys dropped, `null`
 * optionals removed, route methods upper-cased) and notes: things the host
 * accepts but ignores or reads differently than written. `ok: false` lists
 * every problem found, and still carries the manifest when only load-time
 * rules (not decoding) failed.
 */
export type ParseManifestResult =
  | { ok: true; manifest: Manifest; notes: string[] }
  | { ok: false; problems: ManifestProblem[]; notes: string[]; manifest?: Manifest };

/** The parse result plus the error that caused a bad-input problem, for `ManifestError.cause`. */
export interface DetailedParseResult {
  result: ParseManifestResult;
  cause?: unknown;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes and validates a manifest: JSON text (string or UTF-8 bytes) or an
 * already-decoded value. Never throws on bad input; every problem is reported
 * at once, in the host's load order.
 */
export function parseManifest(input: string | Uint8Array | unknown, options: ParseManifestOptions = {}): ParseManifestResult {
  return parseManifestDetailed(input, options).result;
}

export function parseManifestDetailed(input: unknown, options: ParseManifestOptions = {}): DetailedParseResult {
  const decoded = decodeJson(input);
  if (!decoded.ok) {
    return { result: { ok: false, problems: decoded.problems, notes: [] }, cause: decoded.cause };
  }
  const { value, problems } = decoded;
  const notes: string[] = [];
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => problemFromIssue(issue, value)));
  problems.push(...loadTimeProblems(value, options, notes));
  notes.push(...permissionPolicyNotes(value));
  if (problems.length === 0 && parsed.success) return { result: { ok: true, manifest: parsed.data, notes } };
  return { result: { ok: false, problems, notes, ...(parsed.success ? { manifest: parsed.data } : {}) } };
}

type DecodedJson =
  | { ok: true; value: JsonObject; problems: ManifestProblem[] }
  | { ok: false; problems: ManifestProblem[]; cause?: unknown };

/** Bytes → text → value, refusing what would crash or mislead later steps. */
function decodeJson(input: unknown): DecodedJson {
  let value: unknown = input;
  const problems: ManifestProblem[] = [];
  if (input instanceof Uint8Array) {
    if (input.byteLength > MAX_MANIFEST_BYTES) return { ok: false, problems: [tooLargeProblem()] };
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (cause) {
      return {
        ok: false,
        problems: [{ code: 'invalid_encoding', path: '$', message: 'The manifest is not valid UTF-8. Save it as UTF-8 text.' }],
        cause,
      };
    }
  }
  if (typeof value === 'string') {
    if (Buffer.byteLength(value, 'utf8') > MAX_MANIFEST_BYTES) return { ok: false, problems: [tooLargeProblem()] };
    problems.push(...scanJsonText(value));
    if (problems.some((problem) => problem.code === 'too_deep')) return { ok: false, problems };
    try {
      value = JSON.parse(value);
    } catch (cause) {
      const message =
        cause instanceof SyntaxError
          ? `Not valid JSON: ${escapeControlCharacters(cause.message)}. Fix the JSON syntax (a JSON linter shows where).`
          : 'The manifest could not be parsed (it is too deeply nested). Flatten it.';
      return { ok: false, problems: [{ code: cause instanceof SyntaxError ? 'invalid_json' : 'too_deep', path: '$', message }], cause };
    }
  }
  const valueProblems = inspectJsonValue(value);
  if (valueProblems.some((problem) => problem.code === 'too_deep' || problem.code === 'too_large')) {
    return { ok: false, problems: valueProblems.filter((problem) => problem.code !== 'nul_character') };
  }
  problems.push(...valueProblems);
  if (!isObject(value)) {
    problems.push({
      code: 'not_an_object',
      path: '$',
      message: `The manifest must be a JSON object ({"plugin_id": …, "capabilities": {…}}), not ${describeJsonType(value)}.`,
    });
    return { ok: false, problems };
  }
  return { ok: true, value, problems };
}

const expectedPhrases: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
};

/** A zod issue, re-worded for a plugin author: where, what was found, what to write instead. */
function problemFromIssue(issue: z.core.$ZodIssue, root: unknown): ManifestProblem {
  const segments = issue.path as PathSegment[];
  const path = formatJsonPath(segments);
  const found = valueAtPath(root, segments);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = expectedPhrases[issue.expected] ?? issue.expected;
      if (found === undefined) {
        const key = segments[segments.length - 1];
        return { code: 'missing_key', path, message: `Add the required key "${String(key)}" (${expected}).` };
      }
      const got = issue.expected === 'int' && typeof found === 'number' ? String(found) : describeJsonType(found);
      return { code: 'invalid_type', path, message: `Use ${expected} here (got ${got}).` };
    }
    case 'invalid_value': {
      const choices = issue.values.map((choice) => JSON.stringify(choice)).join(', ');
      if (found === undefined) {
        const key = segments[segments.length - 1];
        return { code: 'missing_key', path, message: `Add the required key "${String(key)}" (one of ${choices}).` };
      }
      return { code: 'invalid_value', path, message: `Use one of ${choices} (got ${JSON.stringify(found)}).` };
    }
    case 'invalid_union':
      // The only union in the schema is a config field's `default`.
      return {
        code: 'invalid_type',
        path,
        message: `Use true/false, a number, a string or an array of strings here (got ${describeJsonType(found)}).`,
      };
    default:
      return { code: 'invalid_value', path, message: issue.message };
  }
}

function objectsAt(list: unknown): [number, JsonObject][] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, index): [number, JsonObject][] => (isObject(item) ? [[index, item]] : []));
}

/**
 * The host's load-time rules, in its order (identity, capability ids,
 * min_osaurus, min_macos, web-mount shadowing) plus route/web syntax. They
 * read the raw value defensively, so they also run when decoding failed and
 * every problem is reported in one go.
 */
function loadTimeProblems(manifest: JsonObject, options: ParseManifestOptions, notes: string[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const declaredId = typeof manifest.plugin_id === 'string' ? manifest.plugin_id : undefined;
  const pluginId = options.expectedPluginId ?? declaredId ?? '(unnamed plugin)';
  const capabilities = isObject(manifest.capabilities) ? manifest.capabilities : {};
  const routes = objectsAt(capabilities.routes);

  if (declaredId !== undefined) problems.push(...identityProblems(declaredId, options.expectedPluginId));

  for (const kind of ['tool', 'route'] as const) {
    problems.push(...capabilityIdProblems(pluginId, kind, objectsAt(capabilities[`${kind}s`])));
  }
  problems.push(...routeSyntaxProblems(routes));
  if (isObject(capabilities.web)) problems.push(...webPathProblems(capabilities.web));

  if (typeof manifest.min_osaurus === 'string' && manifest.min_osaurus.trim() !== '') {
    problems.push(...minOsaurusProblems(pluginId, manifest.min_osaurus, options.hostVersion, notes));
  }
  if (typeof manifest.min_macos === 'string' && manifest.min_macos.trim() !== '') {
    problems.push(...minMacosProblems(pluginId, manifest.min_macos, options, notes));
  }

  const web = capabilities.web;
  if (isObject(web) && typeof web.mount === 'string') {
    for (const [index, route] of routes) {
      if (typeof route.path === 'string' && webMountCaptures(web.mount, route.path)) {
        problems.push({
          code: 'route_shadowed_by_web_mount',
          path: formatJsonPath(['capabilities', 'routes', index, 'path']),
          message: shadowedRouteMessage(pluginId, route.path, web.mount),
        });
      }
    }
  }
  return problems;
}

function identityProblems(declaredId: string, expectedId: string | undefined): ManifestProblem[] {
  const path = '$.plugin_id';
  if (declaredId.trim() === '') {
    return [
      {
        code: 'invalid_plugin_id',
        path,
        message: 'plugin_id is empty. Set it to the plugin\'s canonical id (its install directory name), e.g. "com.example.weather".',
      },
    ];
  }
  if (/[/\\]/.test(declaredId) || declaredId.includes('..')) {
    return [
      {
        code: 'invalid_plugin_id',
        path,
        message: `plugin_id '${declaredId}' contains "/", "\\" or "..", but it names the install directory and the /plugins/<plugin_id>/ URL segment. Use a reverse-DNS id such as "com.example.weather".`,
      },
    ];
  }
  if (expectedId !== undefined && declaredId !== expectedId) {
    return [
      {
        code: 'plugin_id_mismatch',
        path,
        message: `Plugin manifest declares plugin_id '${declaredId}' but is installed as '${expectedId}'. Reinstall the plugin under its canonical ID.`,
      },
    ];
  }
  return [];
}

function capabilityIdProblems(pluginId: string, kind: 'tool' | 'route', items: [number, JsonObject][]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const firstIndexById = new Map<string, number>();
  for (const [index, item] of items) {
    if (typeof item.id !== 'string') continue;
    const path = formatJsonPath(['capabilities', `${kind}s`, index, 'id']);
    if (item.id.trim() === '') {
      problems.push({
        code: 'empty_id',
        path,
        message: `Plugin ${pluginId} declares a ${kind} with an empty id. Give every ${kind} a non-empty id.`,
      });
      continue;
    }
    const firstIndex = firstIndexById.get(item.id);
    if (firstIndex === undefined) {
      firstIndexById.set(item.id, index);
    } else {
      problems.push({
        code: 'duplicate_id',
        path,
        message: `Plugin ${pluginId} declares duplicate ${kind} id '${item.id}' (first at ${formatJsonPath(['capabilities', `${kind}s`, firstIndex])}). Rename one: ${kind} ids must be unique.`,
      });
    }
  }
  return problems;
}

function routeSyntaxProblems(routes: [number, JsonObject][]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const [index, route] of routes) {
    if (typeof route.path === 'string') {
      for (const issue of routePathIssues(route.path)) {
        problems.push({
          code: 'invalid_route_path',
          path: formatJsonPath(['capabilities', 'routes', index, 'path']),
          message: `Route path '${route.path}': ${issue}`,
        });
      }
    }
    if (!Array.isArray(route.methods)) continue;
    if (route.methods.length === 0) {
      problems.push({
        code: 'invalid_method',
        path: formatJsonPath(['capabilities', 'routes', index, 'methods']),
        message: 'List at least one HTTP method, e.g. ["GET"]: a route without methods never matches.',
      });
    }
    route.methods.forEach((method, methodIndex) => {
      if (typeof method === 'string' && !isHttpMethodToken(method)) {
        problems.push({
          code: 'invalid_method',
          path: formatJsonPath(['capabilities', 'routes', index, 'methods', methodIndex]),
          message: `${JSON.stringify(method)} is not an HTTP method name. Use one method per entry, e.g. "GET" or "POST".`,
        });
      }
    });
  }
  return problems;
}

const examples = { static_dir: 'web', entry: 'index.html' } as const;

/** `static_dir` and `entry` must name something inside the plugin's version directory. */
function webPathProblems(web: JsonObject): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const key of ['static_dir', 'entry'] as const) {
    const value = web[key];
    if (typeof value !== 'string') continue;
    const path = formatJsonPath(['capabilities', 'web', key]);
    if (value.trim() === '') {
      problems.push({ code: 'invalid_web_path', path, message: `${key} is empty. Name it, e.g. "${examples[key]}".` });
    } else if (/^([/\\]|[A-Za-z]:)/.test(value) || value.split(/[/\\]/).includes('..')) {
      problems.push({
        code: 'invalid_web_path',
        path,
        message: `${key} '${value}' leaves the plugin's version directory. Use a relative path without "..", e.g. "${examples[key]}".`,
      });
    }
  }
  return problems;
}

function minOsaurusProblems(
  pluginId: string,
  required: string,
  hostVersion: string | undefined,
  notes: string[],
): ManifestProblem[] {
  if (hostVersion === undefined) {
    notes.push(
      parseSemanticVersion(required)
        ? `min_osaurus '${required}' was not checked: no host version was given.`
        : unparseableMinOsaurusNote(required),
    );
    return [];
  }
  switch (checkMinOsaurus(required, hostVersion)) {
    case 'required_unparseable':
      notes.push(unparseableMinOsaurusNote(required));
      return [];
    case 'host_unparseable':
      notes.push(`The host version '${hostVersion}' cannot be parsed, so min_osaurus '${required}' was not enforced.`);
      return [];
    case 'not_met':
      return [
        {
          code: 'min_osaurus_not_met',
          path: '$.min_osaurus',
          message: `Plugin ${pluginId} requires Osaurus ${required} or later; this host is ${hostVersion}. Update Osaurus to load this plugin.`,
        },
      ];
    case 'satisfied':
      return [];
  }
}

function unparseableMinOsaurusNote(required: string): string {
  return `min_osaurus '${required}' is not a MAJOR.MINOR.PATCH version, so it is ignored; write it as e.g. "1.2.0".`;
}

function minMacosProblems(pluginId: string, required: string, options: ParseManifestOptions, notes: string[]): ManifestProblem[] {
  const platform = options.platform ?? process.platform;
  if (platform !== 'darwin') {
    notes.push(`min_macos '${required}' is ignored on ${platform}: it applies to macOS hosts only.`);
    return [];
  }
  if (options.macosVersion === undefined) {
    notes.push(`min_macos '${required}' was not checked: no macOS version was given.`);
    return [];
  }
  switch (checkMinMacos(required, options.macosVersion)) {
    case 'required_unparseable':
      notes.push(`min_macos '${required}' is not MAJOR[.MINOR[.PATCH]], so it is ignored; write it as e.g. "14.0".`);
      return [];
    case 'os_unparseable':
      notes.push(`The macOS version '${options.macosVersion}' cannot be parsed, so min_macos '${required}' was not enforced.`);
      return [];
    case 'not_met':
      return [
        {
          code: 'min_macos_not_met',
          path: '$.min_macos',
          message: `Plugin ${pluginId} requires macOS ${formatMacosVersion(required)} or later; this Mac is on ${formatMacosVersion(options.macosVersion)}. Update macOS to load this plugin.`,
        },
      ];
    case 'satisfied':
      return [];
  }
}

/** Notes for policies the host reads as "ask" although something else was written (e.g. "prompt"). */
function permissionPolicyNotes(manifest: JsonObject): string[] {
  const capabilities = isObject(manifest.capabilities) ? manifest.capabilities : {};
  return objectsAt(capabilities.tools).flatMap(([index, tool]) => {
    const policy = tool.permission_policy;
    if (typeof policy !== 'string' || isRecognizedPermissionPolicy(policy)) return [];
    const path = formatJsonPath(['capabilities', 'tools', index, 'permission_policy']);
    return [`${path}: '${policy}' is not auto, ask or deny; the host treats it as "ask".`];
  });
}
