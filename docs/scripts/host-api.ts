import {
  ABI_PROBE_KEY,
  DEFAULT_AGENT_ID,
  DEFAULT_HOST_ABI_LEVEL,
  ENTRY_SYMBOL_V1,
  ENTRY_SYMBOL_V2,
  ENVELOPE_CODES,
  HOST_ABI_LEVELS,
  HOST_SLOTS,
  type HostSlotDescriptor,
  type HostSlotName,
  hostSlot,
  hostSlotIndex,
  hostSlotsAtLevel,
  LOG_LEVEL_NAMES,
  logLevelStatus,
  PLUGIN_FIELDS,
  TASK_EVENT,
} from '@osr-host/abi';
import { hostSlotOffset, hostTableSize, pluginFieldOffset } from '@osr-host/abi-struct';
import { DEFAULT_TIMEOUTS, toolResult } from '@osr-host/runtime';
import {
  CODES_NEVER_RETURNED,
  ERROR_CODES,
  type ErrorCode,
  FIELD_DOCS,
  type JsonExample,
  type JsonValue,
  LIMITS,
  type LimitDoc,
  type LimitId,
  type PackageDir,
  SLOT_DOCS,
  type SlotDoc,
  TASK_EVENT_DOCS,
  type TextExample,
} from './host-api-slots.ts';
import { GENERATED_PATHS, type GeneratedPage, generatedNotice } from './page.ts';

/**
 * The host API reference page. The contract (slots, fields, NULL rules,
 * codes) comes from @osr-host/abi, offsets from @osr-host/abi-struct, numbers from the packages'
 * constants; host-api-slots.ts holds what only prose can say.
 */
export async function generateHostApiReference(): Promise<GeneratedPage[]> {
  const content = [
    generatedNotice('@osr-host/abi-struct, the packages\' exported constants and docs/scripts/host-api-slots.ts'),
    intro(),
    conventions(),
    hostTable(),
    hostSlots(),
    pluginTable(),
    taskEvents(),
    toolResultEnvelope(),
    errorCatalogue(),
    limitsSummary(),
  ].join('\n');
  return [{ path: GENERATED_PATHS.hostApiReference, content }];
}

// ---- facts derived from the declarations ----

/** A C parameter of a declared signature. */
export interface CParameter {
  name: string;
  /** `const char*`: a C string the runtime may require to be non-NULL. */
  isString: boolean;
}

/** The parameters of a C declaration such as `void osr_log_fn(int level, const char* message)`. */
export function signatureParameters(signature: string): CParameter[] {
  const inside = signature.slice(signature.indexOf('(') + 1, signature.lastIndexOf(')')).trim();
  if (inside === '' || inside === 'void') return [];
  return inside.split(',').map((declaration) => {
    const name = declaration.trim().split(/[\s*]+/).at(-1) ?? '';
    return { name, isString: /^const char\s*\*/.test(declaration.trim()) };
  });
}

/** Whether the slot hands the plugin a string (its descriptor's answer). */
function returnsString(name: HostSlotName): boolean {
  return hostSlot(name).answer !== 'none';
}

/** The C strings the runtime requires to be non-NULL: the first `requiredArgs` of them (the slot's descriptor). */
function requiredParameters(name: HostSlotName): string[] {
  const slot = hostSlot(name);
  return signatureParameters(slot.signature)
    .filter((parameter) => parameter.isString)
    .slice(0, slot.requiredArgs)
    .map((parameter) => parameter.name);
}

/** Bytes between two consecutive slots: the pointer size the offsets were computed with. */
const pointerBytes = hostSlotOffset(HOST_SLOTS[1].name) - hostSlotOffset(HOST_SLOTS[0].name);
if (pointerBytes !== 8) {
  throw new Error(`The host API reference documents 64-bit offsets; generate it on a 64-bit machine (pointers here are ${pointerBytes} bytes).`);
}

const newestLevel = HOST_ABI_LEVELS.at(-1)!;
const fullTableSize = hostTableSize(newestLevel);

// ---- small markdown helpers ----

const code = (text: string) => `\`${text}\``;
const slotLink = (name: string) => `[${code(name)}](#slot-${name})`;
const fieldLink = (name: string) => `[${code(name)}](#field-${name})`;
const packageLink = (dir: PackageDir) => `[@osr-host/${dir}](/packages/${dir})`;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function jsonBlock(value: JsonValue): string {
  return ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
}

function exampleBlock(example: JsonExample | TextExample): string {
  const body = 'json' in example ? jsonBlock(example.json) : ['```text', example.text, '```'].join('\n');
  return `*${example.title}*\n\n${body}`;
}

function bullets(items: string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

function decisions(ids: string[]): string {
  return `**Decisions:** ${ids.length > 0 ? ids.join(', ') : 'none specific.'}`;
}

/** What the page says of a slot beyond its descriptor; a slot with no entry in SLOT_DOCS has nothing more. */
function slotDoc(name: HostSlotName): SlotDoc {
  return SLOT_DOCS[name] ?? { responses: [], errors: [], limits: [], implementedBy: { symbol: 'buildHostApi' }, decisions: [] };
}

/** Slots whose docs name a limit or an error code, for the summary tables. */
function slotsWhere(test: (doc: SlotDoc) => boolean): HostSlotName[] {
  return HOST_SLOTS.map((slot) => slot.name).filter((name) => test(slotDoc(name)));
}

// ---- sections ----

function intro(): string {
  return `# Host API reference

Every plugin that exports ${code(ENTRY_SYMBOL_V2)} receives a pointer to its own **host table** (D3): a ${code('uint32_t version')}
followed by C function pointers, the *slots*, through which it reaches the host's services — config and secrets, SQLite
storage, logging, inference, outbound HTTP, file reads and background agent tasks. The plugin answers with its own
**plugin table** of functions the host calls.

This page documents both tables as osr-host implements them. Signatures, ABI versions, offsets and table sizes are
generated from ${packageLink('abi-struct')}'s declarations, and limits from the packages' constants. Where
osr-host departs from upstream Osaurus, see [Compatibility with upstream](/reference/compatibility). Decision ids (D#,
P#) refer to [Decisions](/decisions), and [Architecture](/architecture) explains how host calls cross from plugin
threads into Node.js.
`;
}

function nullRulesTable(): string {
  const rows = HOST_SLOTS.map((slot) => {
    if (slot.name === 'free_string') return [slotLink(slot.name), '—', 'NULL is a no-op'];
    const required = requiredParameters(slot.name).map(code);
    const outcome = returnsString(slot.name) ? 'answers NULL, runs nothing' : 'does nothing';
    return [slotLink(slot.name), required.join(', ') || '—', required.length > 0 ? outcome : '—'];
  });
  return table(['Slot', 'Must not be NULL', 'If one is NULL'], rows);
}

function conventions(): string {
  const levelRows = [...LOG_LEVEL_NAMES.keys(), LOG_LEVEL_NAMES.length].map((level) => [
    level < LOG_LEVEL_NAMES.length ? String(level) : 'any other',
    code(LOG_LEVEL_NAMES[level] ?? 'LOG'),
    String(logLevelStatus(level)),
  ]);
  return `## Conventions

### Strings and ownership

- Every string crossing the ABI is NUL-terminated UTF-8.
- **Host → plugin.** A slot's answer is a new string from the C library's ${code('malloc')}. The plugin owns it and
  releases it exactly once with ${slotLink('free_string')} (ABI v6 hosts) or plain ${code('free()')} — never with the
  plugin's own ${code('free_string')} (D4). A NULL answer needs no release.
- **Plugin → host.** Arguments the plugin passes to a slot are copied during the call and stay the plugin's. Strings the
  plugin returns (${fieldLink('get_manifest')}, ${fieldLink('invoke')}, ${fieldLink('handle_route')}) are copied, then
  released once with the plugin's ${fieldLink('free_string')}.
- **Callback arguments** (the ${code('const char*')} values the host passes to plugin functions and to ${code('on_chunk')})
  are valid only during the call; copy what you keep.

### NULL arguments

A JSON slot called with a NULL request answers NULL, not an envelope; a void slot with a NULL required argument does
nothing. The runtime applies this before any service sees the call, from its ${code('SLOT_RULES')}; such calls are not
recorded in Insights. After a plugin is unloaded, calls through its old table answer NULL or do nothing.

${nullRulesTable()}

### Agent context

Each call into the plugin runs in a *frame*; host calls made on that thread carry the frame's agent (D3). Calls from a
thread the plugin started itself have no agent.

${table(
  ['Frame', 'Agent'],
  [
    ['entry, init, get_manifest, destroy', 'none'],
    ['invoke', "the caller's: `osr-host invoke --agent` (else the host's default agent), the MCP session's, or the task's"],
    ['handle_route', 'the request\'s `X-Osaurus-Agent-Id` header or `osr_agent` query parameter'],
    ['on_config_changed', 'the agent whose config is delivered (the ABI probe: the first ordinary agent)'],
    ['on_task_event', "the task's agent"],
  ],
)}

The built-in Default agent ${code(DEFAULT_AGENT_ID)} counts as *no agent* for config (reads are NULL, writes dropped), is
refused by dispatch, and shares the anonymous bucket of http_request's rate limit (D8).

### Errors

JSON slots report failures as an envelope ${code('{"error": "<code>", "message": "<text>"}')}, sometimes with extra keys;
branch on ${code('error')}, show ${code('message')}. Every code is in the [error-code catalogue](#error-codes). Void slots
and config reads report problems as *one-shot warnings* — printed once per plugin and situation, and stored in Insights —
with keys like ${code('<plugin_id>|config_set|no_agent_context')}.

Two codes can come from any slot that returns a string: ${code('host_error')} when the host's implementation fails
unexpectedly (P14), and ${code('host_timeout')} when the plugin call the host call belongs to has already timed out or been
cancelled (P10) — void slots then do nothing, and config_get answers NULL.

### JSON

Answers are compact JSON. Answers built by the net, dispatch and storage services have sorted keys; inference answers keep
OpenAI's key order. Host-minted UUIDs (task ids, agent ids) are upper-case (D17). Parse the JSON; never compare bytes.

### Threads

Slots are synchronous for the plugin: the calling thread waits until the host answers, and may be any thread. Calls from
many threads run concurrently; nothing in the host serialises them except where a slot says so (storage runs each
plugin's statements in order).

### Logging levels {#logging-levels}

${table(['level', 'Name', 'Insights status'], levelRows)}
`;
}

function hostTable(): string {
  const levelRows = HOST_ABI_LEVELS.map((level) => {
    const size = hostTableSize(level);
    const added = HOST_SLOTS.filter((slot) => slot.since === level).map((slot) => slotLink(slot.name));
    return [
      String(level),
      size === 0 ? 'none' : String(level),
      String(hostSlotsAtLevel(level).length),
      size === 0 ? 'no table' : `${size} bytes`,
      level === 1 ? `no table: only ${code(ENTRY_SYMBOL_V1)} plugins load` : added.join(', ') || '—',
    ];
  });
  const slotRows = HOST_SLOTS.map((slot) => [
    String(hostSlotIndex(slot.name)),
    String(hostSlotOffset(slot.name)),
    slotLink(slot.name),
    `v${slot.since}`,
    returnsString(slot.name) ? 'string' : 'void',
  ]);
  return `## Host table

### Table size per ABI level {#host-table-sizes}

The host's ABI level is ${DEFAULT_HOST_ABI_LEVEL} unless chosen otherwise (${code('osr-host --abi N')}, or the runtime's
${code('level')} option). At level N the host writes N into ${code('version')}, fills every slot added at or below N and
leaves later slots NULL (D1). Below level ${newestLevel} the table keeps its level's size but is followed by zeroed padding
up to ${fullTableSize} bytes, so a plugin that tests a newer slot for NULL without checking ${code('version')} reads NULL
(P50). Check ${code('host->version >= N && host->slot != NULL')} before calling a slot added in version N.

${table(['Level', '`version`', 'Slots filled', 'Size (64-bit)', 'Slots added'], levelRows)}

### Slots

${code('version')} is at offset ${hostSlotOffset('version')}, followed by 4 bytes of padding; slot *n* is at offset
${pointerBytes}·*n*. The table memory is never freed or moved, so a plugin may keep the pointer (P8).

${table(['Index', 'Offset', 'Slot', 'Added', 'Answer'], slotRows)}
`;
}

/** The catalogue anchor of an error value; upstream's teardown answer is a sentence, so spaces become hyphens. */
export const errorAnchor = (errorCode: string) => `error-${errorCode.replaceAll(' ', '-')}`;
const errorLink = (errorCode: string) => `[${code(errorCode)}](#${errorAnchor(errorCode)})`;

/** Codes any string slot may answer, whatever the slot's own list says. */
const everyStringSlotCodes = Object.entries(ERROR_CODES)
  .filter(([, doc]) => 'everyStringSlot' in doc)
  .map(([errorCode]) => errorCode);

function errorCodesLine(name: HostSlotName, doc: SlotDoc): string {
  const own = doc.errors.map(errorLink);
  if (!returnsString(name)) {
    return '**Error codes:** none — a void slot answers nothing; problems it detects become one-shot warnings.';
  }
  const common = `plus ${everyStringSlotCodes.map(errorLink).join(' and ')}, as every string slot`;
  return `**Error codes:** ${own.length > 0 ? `${own.join(', ')}; ${common}` : `none of its own; ${common}`}.`;
}

function nullLine(name: HostSlotName, doc: SlotDoc): string {
  if (name === 'free_string') return `**NULL:** ${doc.nullNotes ?? 'NULL is a no-op.'}`;
  const required = requiredParameters(name).map(code);
  const outcome = returnsString(name) ? 'the host answers NULL without running the slot' : 'the call is ignored';
  const rule = required.length > 0 ? `If ${required.join(' or ')} is NULL, ${outcome}.` : 'No argument has to be non-NULL.';
  return `**NULL:** ${[rule, doc.nullNotes].filter(Boolean).join(' ')}`;
}

function ownershipLine(name: HostSlotName, doc: SlotDoc): string {
  const derived = returnsString(name)
    ? 'The answer is a new `malloc` string the plugin owns: release it with `free_string` (v6) or `free()`. NULL needs no release.'
    : 'Nothing to release.';
  return `**Ownership:** ${doc.ownership ?? derived} Arguments are copied during the call and stay the plugin's.`;
}

function limitLines(ids: LimitId[]): string {
  if (ids.length === 0) return '**Limits:** none specific.';
  return `**Limits:**\n\n${bullets(ids.map((id) => `${LIMITS[id].name}: ${LIMITS[id].value}`))}`;
}

function implementedByLine({ package: dir, symbol }: SlotDoc['implementedBy']): string {
  return `**Implemented by:** ${dir ? `${packageLink(dir)} ${code(symbol)}` : `${code(symbol)} in the reference host (apps/host)`}`;
}

/** How Insights records a call of the slot (its descriptor's method and path). */
function insightsLine(slot: (typeof HOST_SLOTS)[number]): string {
  if (slot.insights === null) return '**Insights:** not recorded; the native bridge answers it without reaching the host.';
  return `**Insights:** recorded as ${code(`${slot.insights.method} ${slot.insights.path}`)}; \`{name}\` is filled from the argument or request field of that name.`;
}

/** The answer line of a slot whose docs give no example answer. */
const ANSWER_WORDS = { none: 'none (void)', text: 'plain text (not JSON)', json: 'JSON text' } as const;

function slotSection(slot: (typeof HOST_SLOTS)[number]): string {
  const doc = slotDoc(slot.name);
  const parameters = signatureParameters(slot.signature);
  const parts = [
    `### ${code(slot.name)} {#slot-${slot.name}}`,
    ['```c', slot.signature, '```'].join('\n'),
    table(
      ['Added in', 'Offset (64-bit)', 'Index', 'Answer'],
      [[`v${slot.since}`, String(hostSlotOffset(slot.name)), String(hostSlotIndex(slot.name)), returnsString(slot.name) ? 'string' : 'void']],
    ),
    slot.summary,
    parameters.length > 0
      ? `**Parameters:**\n\n${bullets(parameters.map((parameter) => `${code(parameter.name)}: ${(slot.parameterNotes as HostSlotDescriptor['parameterNotes'])[parameter.name]}`))}`
      : '**Parameters:** none.',
  ];
  if (doc.details) parts.push('**Behaviour:**', bullets(doc.details));
  if (doc.requests) parts.push('**Request**', ...doc.requests.map(exampleBlock));
  if (doc.onChunkExamples) parts.push('**What `on_chunk` receives**', ...doc.onChunkExamples.map(exampleBlock));
  parts.push(doc.responses.length > 0 ? '**Answer**' : `**Answer:** ${ANSWER_WORDS[slot.answer]}.`, ...doc.responses.map(exampleBlock));
  parts.push(
    errorCodesLine(slot.name, doc),
    limitLines(doc.limits),
    ownershipLine(slot.name, doc),
    nullLine(slot.name, doc),
    insightsLine(slot),
    implementedByLine(doc.implementedBy),
    decisions(doc.decisions),
  );
  return parts.join('\n\n');
}

function hostSlots(): string {
  return `## Host slots\n\n${HOST_SLOTS.map(slotSection).join('\n\n')}\n`;
}

function pluginTable(): string {
  const v1Size = pluginFieldOffset('version');
  const lastField = PLUGIN_FIELDS.at(-1)!;
  const fullSize = pluginFieldOffset(lastField.name) + pointerBytes;
  const required = PLUGIN_FIELDS.filter((field) => field.required).map((field) => code(field.name));
  const rows = PLUGIN_FIELDS.map((field, index) => [
    String(index),
    String(pluginFieldOffset(field.name)),
    fieldLink(field.name),
    field.required ? 'required' : 'optional',
  ]);
  const fields = PLUGIN_FIELDS.map((field) => {
    const doc = FIELD_DOCS[field.name];
    const parts = [
      `### ${code(field.name)} {#field-${field.name}}`,
      ['```c', field.signature ?? 'uint32_t version; /* followed by 4 bytes of padding */', '```'].join('\n'),
      table(
        ['Offset (64-bit)', 'Required'],
        [[String(pluginFieldOffset(field.name)), field.required ? 'yes' : 'no (NULL or 0 when absent)']],
      ),
      `**When the host calls it:** ${doc.when}`,
    ];
    if (doc.details) parts.push(bullets(doc.details));
    if (doc.examples) parts.push(...doc.examples.map(exampleBlock));
    parts.push(limitLines(doc.limits), decisions(doc.decisions));
    return parts.join('\n\n');
  });
  return `## Plugin table

### Entry and handshake

The host ${code('dlopen')}s the library (on a bridge thread, after an ELF check, P7) and looks for
${code(`const osr_plugin_api* ${ENTRY_SYMBOL_V2}(const osr_host_api* host)`)} first, then
${code(`const osr_plugin_api* ${ENTRY_SYMBOL_V1}(void)`)} (D2). The v2 entry gets the host table; the v1 entry gets none
and can call no slot. At level 1 the host passes no table, so a library exporting only the v2 entry fails with
"needs host ABI level 2 or higher" (P9). A NULL table fails the load.

The table is ${fullSize} bytes; a v1 table is read as exactly its first ${v1Size} bytes. The required functions —
${required.join(', ')} — are all checked before ${code('init')}, and the error names every missing one. Then the host
calls ${fieldLink('init')} and ${fieldLink('get_manifest')}, validates the manifest, and — for plugins at ABI 2 or
higher — runs the ABI probe: one ${fieldLink('on_config_changed')} with the key ${code(ABI_PROBE_KEY)} inside the
crash-loop guard, so a plugin whose struct declaration is misaligned crashes there and is quarantined (D5).

${table(['Index', 'Offset', 'Field', 'Required'], rows)}

Deadlines are the runtime's ${code('DEFAULT_TIMEOUTS')}; a call that misses its deadline releases the caller, and the
plugin's thread is left to return on its own (P10, P11).

${fields.join('\n\n')}
`;
}

function taskEvents(): string {
  const rows = Object.entries(TASK_EVENT).map(([name, value]) => {
    const doc = TASK_EVENT_DOCS[name as keyof typeof TASK_EVENT];
    return [String(value), code(name), doc.when];
  });
  const payloads = Object.entries(TASK_EVENT).map(([name, value]) =>
    exampleBlock({ title: `${value} ${name}`, json: TASK_EVENT_DOCS[name as keyof typeof TASK_EVENT].payload }),
  );
  return `## Task events {#task-events}

${fieldLink('on_task_event')} receives ${code('event_type')} as one of these numbers and ${code('event_json')} as a
JSON object with sorted keys. Events reach only the plugin that dispatched the task, in order per task; after
COMPLETED, FAILED or CANCELLED the task sends nothing more.

${table(['Value', 'Name', 'When'], rows)}

${payloads.join('\n\n')}
`;
}

function toolResultEnvelope(): string {
  const tool = 'search_inbox';
  const hostMade: Array<[string, string]> = [
    ['The plugin returned NULL', toolResult(tool, { kind: 'null' })],
    ['The plugin missed the tool deadline', toolResult(tool, { kind: 'timeout', timeoutMs: DEFAULT_TIMEOUTS.tool })],
    ['The plugin is shut down', toolResult(tool, { kind: 'shut_down' })],
    ['The payload cannot cross into C', toolResult(tool, { kind: 'invalid_argument', message: 'The payload contains a NUL character, which a C string cannot carry; remove it.' })],
  ];
  return `## Tool-result envelope {#tool-result-envelope}

What ${fieldLink('invoke')} should return for a tool. The host passes the text on as it is; MCP, the inference tool
loop and background tasks read it.

${exampleBlock({ title: 'Success', json: { ok: true, tool, result: { count: 3 }, warnings: ['2 messages were too large to scan'] } })}

${exampleBlock({
  title: 'Failure',
  json: { ok: false, kind: 'invalid_args', message: '"limit" must be a positive integer', field: 'limit', expected: 'integer ≥ 1', tool, retryable: false },
})}

${code('kind')} is one of ${['invalid_args', 'rejected', 'user_denied', 'timeout', 'execution_error', 'not_found', 'unavailable', 'tool_not_found']
    .map(code)
    .join(', ')}. Text that is not an envelope counts as a success whose result is that text; the legacy
${code('[REJECTED]')} / ${code('[TIMEOUT]')} prefixes and ${code('{"error": …, "retryable": …}')} bodies count as failures.

When the plugin cannot answer, the host makes the envelope itself:

${hostMade.map(([title, text]) => exampleBlock({ title, json: JSON.parse(text) as JsonValue })).join('\n\n')}
`;
}

function errorCatalogue(): string {
  const rows = Object.entries(ERROR_CODES).map(([errorCode, doc]) => {
    const slots =
      'everyStringSlot' in doc
      ? 'every slot that returns a string'
      : slotsWhere((slotDoc) => slotDoc.errors.includes(errorCode as ErrorCode)).map(slotLink).join(', ');
    const extra = 'extraKeys' in doc ? doc.extraKeys.map(code).join(', ') : '';
    const { insightsStatus, retryable } = ENVELOPE_CODES[errorCode as ErrorCode];
    return [`${code(errorCode)} <span id="${errorAnchor(errorCode)}"></span>`, doc.meaning, extra, slots, String(insightsStatus), retryable ? 'yes' : 'no'];
  });
  const never = Object.entries(CODES_NEVER_RETURNED).map(([errorCode, why]) => `${code(errorCode)}: ${why}`);
  return `## Error codes {#error-codes}

${table(['Code', 'Meaning', 'Extra keys', 'Returned by', 'Insights status', 'Retryable'], rows)}

Codes upstream documents that osr-host never answers:

${bullets(never)}
`;
}

function limitsSummary(): string {
  const users = (id: LimitId) => [
    ...slotsWhere((doc) => doc.limits.includes(id)).map(slotLink),
    ...PLUGIN_FIELDS.filter((field) => FIELD_DOCS[field.name].limits.includes(id)).map((field) => fieldLink(field.name)),
  ];
  const rows = (Object.keys(LIMITS) as LimitId[]).map((id) => {
    const { name, value, source }: LimitDoc = LIMITS[id];
    const where =
      'constant' in source
        ? `${code(source.constant)} in ${packageLink(source.package)}`
        : `${source.unexported} in ${source.file} (not exported)`;
    return [name, value, users(id).join(', '), where];
  });
  return `## Limits {#limits}

Defaults of the reference host. Most are options of their package; a limit with no exported constant names the file
that holds it.

${table(['Limit', 'Value', 'Applies to', 'Defined by'], rows)}
`;
}
