import { join } from 'node:path';
import { packageRoot } from '../native/build.mjs';
import { BRIDGE_EVENT_FIELDS, BridgeCallKind, BridgeEventKind, HOST_SLOT_SERVING } from './bridge.js';
import { HOST_SLOTS } from './layout.js';

/** The committed header osr_bridge.c includes; written from the descriptors by `npm run generate:native`. */
export const generatedHeaderPath = join(packageRoot, 'native', 'osr_slots.generated.h');

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
const SERVE_FUNCTION = { park: 'host_call', queue: 'queue_host_call', frame_agent: 'answer_from_frame' } as const;

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
 * Generated from HOST_SLOTS (src/layout.ts) and the bridge descriptors (src/bridge.ts)
 * by src/native-header.ts. Do not edit: change the descriptors, then run
 * \`${REGENERATE_COMMAND}\`.
 */
#ifndef OSR_SLOTS_GENERATED_H
#define OSR_SLOTS_GENERATED_H

#include <stdint.h>

${enumeration('osrb_event_kind', BridgeEventKind)}

${enumeration('osrb_call_kind', BridgeCallKind)}

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
