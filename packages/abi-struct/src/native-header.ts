import { ABI_PROBE_KEY, ENTRY_SYMBOL_V1, ENTRY_SYMBOL_V2, HOST_ABI_LEVELS, LOG_LEVEL_NAMES, PLUGIN_FIELDS, TASK_EVENT } from '@osr-host/abi';
import { join } from 'node:path';
import { headerDirectory, packageRoot } from '../native/build.mjs';
import { BRIDGE_EVENT_FIELDS, BridgeCallKind, BridgeEventKind, HOST_SLOT_SERVING } from './bridge.js';
import { HOST_SLOTS } from './layout.js';

/** The committed header osr_bridge.c includes; written from the descriptors by `npm run generate:native`. */
export const generatedHeaderPath = join(packageRoot, 'native', 'osr_slots.generated.h');

/** The public header plugins include; written from the descriptors by `npm run generate:native`. */
export const publicHeaderPath = join(headerDirectory, 'osaurus_plugin.h');

export const REGENERATE_COMMAND = 'npm run generate:native -w @osr-host/abi-struct';

/** The C enumerator name of a descriptor key: `entryV2` → `OSRB_ENTRY_V2`. */
export const cEnumerator = (name: string) => `OSRB_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** One trampoline parameter and how it reaches the bridge's serve functions. */
interface Parameter {
  declaration: string;
  name: string;
  type: string;
}

function parameters(signature: string): Parameter[] {
  const list = signature.slice(signature.indexOf('(') + 1, -1).trim();
  if (list === '') return [];
  return list.split(',').map((text) => {
    const declaration = text.trim();
    const name = declaration.slice(declaration.search(/\w+$/));
    return { declaration, name, type: declaration.slice(0, -name.length).replace(/\s+/g, '') };
  });
}

/** `host_call(P, slot, int_arg, a0, a1, a2, on_chunk, user_data)` arguments for one slot's parameters. */
function serveArguments(slotName: string, list: Parameter[]): string {
  let intArg = '0';
  const strings: string[] = [];
  let onChunk = 'NULL';
  let userData = 'NULL';
  for (const parameter of list) {
    if (parameter.type === 'int') intArg = parameter.name;
    else if (parameter.type === 'constchar*') strings.push(parameter.name);
    else if (parameter.name === 'on_chunk') onChunk = `(osr_on_chunk_fn)${parameter.name}`;
    else if (parameter.name === 'user_data') userData = parameter.name;
    else throw new Error(`${slotName}: the bridge cannot pass parameter "${parameter.declaration}"; extend native-header.ts`);
  }
  if (strings.length > 3) throw new Error(`${slotName}: the bridge passes at most three string arguments`);
  while (strings.length < 3) strings.push('NULL');
  return [intArg, ...strings, onChunk, userData].join(', ');
}

/** The bridge's C function behind each way of serving a slot (see HOST_SLOT_SERVING). */
const SERVE_FUNCTION = { park: 'host_call', queue: 'queue_host_call', frame_agent: 'answer_from_frame', slot_server: 'serve_on_server', config_cache: 'answer_from_config_cache' } as const;

const continued = (lines: string[]) => lines.map((line) => `${line} \\`).join('\n');

/** The text of native/osr_slots.generated.h for the current descriptors. */
export function bridgeHeaderSource(): string {
  const trampolines: string[] = [];
  const row: string[] = ['NULL'];
  for (const [index, slot] of HOST_SLOTS.entries()) {
    const serving = HOST_SLOT_SERVING[slot.name] ?? 'park';
    if (serving === 'host_free') {
      row.push('(void*)osrb_free_string');
      continue;
    }
    const list = parameters(slot.signature);
    const returnsString = slot.signature.startsWith('const char*');
    const call = `${SERVE_FUNCTION[serving]}(P, ${index + 1}, ${serveArguments(slot.name, list)})`;
    const declarations = list.length === 0 ? 'void' : list.map((parameter) => parameter.declaration).join(', ');
    trampolines.push(
      returnsString
        ? `  static const char* osrb_${slot.name}_##N(${declarations}) { return ${call}; }`
        : `  static void osrb_${slot.name}_##N(${declarations}) { free(${call}); }`,
    );
    row.push(`(void*)osrb_${slot.name}_##N`);
  }
  const field = (entry: (typeof BRIDGE_EVENT_FIELDS)[number]) =>
    `  ${entry.type} ${entry.name}${'count' in entry ? `[${entry.count}]` : ''};`;
  const enumeration = (name: string, values: Record<string, number>) =>
    `enum ${name} {\n${Object.entries(values)
      .map(([key, value]) => `  ${cEnumerator(key)} = ${value},`)
      .join('\n')}\n};`;
  return `/*
 * @generated from HOST_SLOTS (src/layout.ts) and the bridge descriptors (src/bridge.ts)
 * by src/native-header.ts. Do not edit: change the descriptors, then run
 * \`${REGENERATE_COMMAND}\`.
 */
#ifndef OSR_SLOTS_GENERATED_H
#define OSR_SLOTS_GENERATED_H

#include <stdint.h>

${enumeration('osrb_event_kind', BridgeEventKind)}

${enumeration('osrb_call_kind', BridgeCallKind)}

/* Per host-table index: bit i set when argument i is JSON text, whose nesting depth the host bounds. */
static const unsigned char OSRB_JSON_ARGS[${HOST_SLOTS.length + 1}] = {${['0', ...HOST_SLOTS.map((slot) => String(slot.jsonArgs.reduce((mask: number, index: number) => mask | (1 << index), 0)))].join(', ')}};

typedef struct osrb_event {
${BRIDGE_EVENT_FIELDS.map(field).join('\n')}
} osrb_event;

/* Entries of one host table: version, then one per slot. */
#define OSRB_SLOT_COUNT ${HOST_SLOTS.length + 1}

/* One trampoline per host slot for plugin slot P, named with suffix N. */
#define OSRB_DEFINE_TRAMPOLINES(N, P) \\
${continued(trampolines)}

/* Plugin slot N's row of the trampoline table, in host-table order (index 0 is the version). */
#define OSRB_TRAMPOLINE_ROW(N) \\
  {${row.join(', ')}},

#endif
`;
}

/** Words of `text` in lines of at most `width` characters, each prefixed. */
function wrapped(text: string, prefix: string, continuation = prefix, width = 100): string[] {
  const lines: string[] = [];
  const lead = () => (lines.length === 0 ? prefix : continuation);
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && lead().length + line.length + 1 + word.length > width) {
      lines.push(lead() + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(lead() + line);
  return lines;
}

/** The return type and typedef name of a prototype: `const char* osr_x_fn(…)` → `const char*`, `osr_x_fn`. */
function prototypeHead(signature: string): { returns: string; name: string } {
  const head = signature.slice(0, signature.indexOf('('));
  const name = head.slice(head.search(/\w+$/));
  return { returns: head.slice(0, -name.length).trim(), name };
}

/** `ret osr_x_fn(params)` as a function-pointer typedef, with `(void)` for no parameters and C types for the plugin's own. */
function typedefOf(signature: string): string {
  const { returns, name } = prototypeHead(signature);
  const list = parameters(signature);
  const declarations = list.length === 0 ? 'void' : list.map((parameter) => cParameter(parameter.declaration)).join(', ');
  return `typedef ${cReturn(returns)} (*${name})(${declarations});`;
}

/** The public header names the plugin context and the stream callback by their typedefs, where the descriptors say `void*`. */
function cParameter(declaration: string): string {
  if (declaration === 'void* ctx') return 'osr_plugin_ctx_t ctx';
  if (declaration === 'void* on_chunk') return 'osr_on_chunk_fn on_chunk';
  return declaration;
}

const cReturn = (type: string) => (type === 'void*' ? 'osr_plugin_ctx_t' : type);

const typedefName = (signature: string) => prototypeHead(signature).name;

/** The comment above one host slot's typedef: its summary, its parameters, the version that added it. */
function slotComment(slot: (typeof HOST_SLOTS)[number]): string[] {
  const notes = Object.entries(slot.parameterNotes as Readonly<Record<string, string>>).map(([name, note]) =>
    name === 'level' ? `${name}: ${note} Levels: ${LOG_LEVEL_NAMES.map((level, index) => `${index} ${level}`).join(', ')}.` : `${name}: ${note}`,
  );
  // Markdown links of the reference read as their text in C.
  const plain = (text: string) => text.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
  return [
    '/*',
    ...wrapped(plain(`${slot.name} (v${slot.since}). ${slot.summary}`), ' * '),
    ...(notes.length > 0 ? [' *'] : []),
    ...notes.flatMap((note) => wrapped(plain(note), ' * ', ' *   ')),
    ' */',
  ];
}

const aligned = (rows: Array<[string, string]>) => {
  const width = Math.max(...rows.map(([code]) => code.length));
  return rows.map(([code, comment]) => (comment === '' ? code : `${code.padEnd(width)} /* ${comment} */`));
};

/** The text of include/osaurus_plugin.h for the current descriptors. */
export function publicHeaderSource(): string {
  const pluginFields = PLUGIN_FIELDS.filter((field) => field.signature !== null);
  const v1Fields = PLUGIN_FIELDS.slice(0, PLUGIN_FIELDS.findIndex((field) => field.name === 'version'));
  const member = (signature: string, name: string) => `  ${typedefName(signature)} ${name};`;
  return `/*
 * osaurus_plugin.h - the Osaurus native-plugin C ABI, as served by osr-host.
 *
 * @generated from @osr-host/abi's descriptors by @osr-host/abi-struct's
 * src/native-header.ts. Do not edit: change the descriptors, then run
 * \`${REGENERATE_COMMAND}\`.
 *
 * Type, field and macro names match the upstream Osaurus header, so a plugin
 * written against upstream compiles unchanged against this one.
 *
 * The ABI is frozen: osr_host_api only ever grows by appending slots. A plugin
 * must check \`host->version >= N && host->slot != NULL\` before calling a slot
 * added in version N.
 *
 * MEMORY OWNERSHIP
 *   - Every \`const char*\` a host callback returns is allocated with malloc.
 *     The plugin owns it and releases it with host->free_string (v6) or free().
 *   - Every \`const char*\` the plugin returns from get_manifest, invoke or
 *     handle_route is copied by the host, then released once with the
 *     plugin's own osr_plugin_api.free_string.
 *   - Arguments passed into plugin callbacks are valid only during the call.
 *   - Arguments the plugin passes to host callbacks are copied by the host.
 */
#ifndef OSAURUS_PLUGIN_H
#define OSAURUS_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

${HOST_ABI_LEVELS.map((level) => `#define OSR_ABI_VERSION_${level} ${level}`).join('\n')}

/* event_type values passed to on_task_event. */
${Object.entries(TASK_EVENT)
  .map(([name, value]) => `#define OSR_TASK_EVENT_${name} ${value}`)
  .join('\n')}

/* The config key of the load-time ABI probe; plugins may ignore it. */
#define OSR_ABI_PROBE_KEY ${JSON.stringify(ABI_PROBE_KEY)}

typedef void* osr_plugin_ctx_t;

/* ---- Host API (host -> plugin) ---------------------------------------- */

/* What complete_stream calls with each chunk, on the thread that called complete_stream. */
typedef void (*osr_on_chunk_fn)(const char* chunk_json, void* user_data);

${HOST_SLOTS.map((slot) => [...slotComment(slot), typedefOf(slot.signature)].join('\n')).join('\n\n')}

typedef struct osr_host_api {
  uint32_t version;

${aligned(HOST_SLOTS.map((slot) => [member(slot.signature, slot.name), slot.since > 2 ? `v${slot.since}` : ''])).join('\n')}
} osr_host_api;

/* ---- Plugin API (plugin -> host) -------------------------------------- */

${pluginFields.map((field) => typedefOf(field.signature as string)).join('\n')}

/* The legacy v1 table: exactly these ${v1Fields.length} pointers (${v1Fields.length * 8} bytes). */
typedef struct osr_plugin_api_v1 {
${v1Fields.map((field) => member(field.signature as string, field.name)).join('\n')}
} osr_plugin_api_v1;

typedef struct osr_plugin_api {
${aligned(
  PLUGIN_FIELDS.map((field) =>
    field.signature === null
      ? ['  uint32_t version;', "the plugin's ABI version; 0 is read as 2 through the v2 entry"]
      : [member(field.signature, field.name), field.required ? 'required' : 'optional'],
  ),
).join('\n')}
} osr_plugin_api;

/* ---- Entry points (export one; v2 wins when both exist) ---------------- */

const osr_plugin_api* ${ENTRY_SYMBOL_V1}(void);
const osr_plugin_api* ${ENTRY_SYMBOL_V2}(const osr_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* OSAURUS_PLUGIN_H */
`;
}
