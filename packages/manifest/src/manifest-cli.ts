import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MAX_MANIFEST_BYTES } from './json-input.js';
import { type ParseManifestOptions, parseManifest } from './parse.js';
import { formatProblem } from './problems.js';

export interface ManifestCliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const manifestCliUsage = `Usage: osr-manifest validate <file|-> [--plugin-id <id>] [--host-version <version>]

Checks an Osaurus plugin manifest as the host loads it; "-" reads standard input.
  --plugin-id <id>          the id it is installed as (plugin_id must equal it)
  --host-version <version>  the Osaurus version to check min_osaurus against

Exit status: 0 valid (prints the normalised manifest as JSON), 1 invalid (one
line per problem, with its JSON path, on standard error), 2 bad arguments.
`;

type CliArguments = { help: true } | { error: string } | { file: string; options: ParseManifestOptions };

function parseCliArguments(argv: string[]): CliArguments {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof MANIFEST_CLI_OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: MANIFEST_CLI_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const [command, file, ...extra] = positionals;
  if (command === undefined) return { error: 'missing command' };
  if (command !== 'validate') return { error: `unknown command '${command}'` };
  if (file === undefined) return { error: 'validate needs a file, or "-" for standard input' };
  if (extra.length > 0) return { error: `unexpected argument '${extra[0]}'` };
  const options: ParseManifestOptions = {};
  if (values['plugin-id'] !== undefined) options.expectedPluginId = values['plugin-id'];
  if (values['host-version'] !== undefined) options.hostVersion = values['host-version'];
  return { file, options };
}

/** The options `osr-manifest` and `osr-host manifest` parse (node:util `parseArgs`, strict). */
export const MANIFEST_CLI_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'plugin-id': { type: 'string' },
  'host-version': { type: 'string' },
} as const;

/** Reads at most one byte past the manifest limit, so an oversized input is reported without being read whole. */
async function readFileCapped(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

async function readStreamCapped(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    chunks.push(bytes);
    total += bytes.length;
    if (total > MAX_MANIFEST_BYTES) break;
  }
  return Buffer.concat(chunks);
}

/**
 * `validate <file|->`: the manifest validator behind the `osr-manifest` bin
 * and `osr-host manifest validate`. Returns the exit status; never throws for
 * bad input or arguments.
 */
export async function runManifestCli(argv: string[], io: ManifestCliIo): Promise<number> {
  const parsed = parseCliArguments(argv);
  if ('help' in parsed) {
    io.stdout.write(manifestCliUsage);
    return 0;
  }
  if ('error' in parsed) {
    io.stderr.write(`osr-manifest: ${parsed.error}\n\n${manifestCliUsage}`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = parsed.file === '-' ? await readStreamCapped(io.stdin) : await readFileCapped(parsed.file);
  } catch (error) {
    io.stderr.write(`osr-manifest: cannot read ${parsed.file}: ${(error as Error).message}\n`);
    return 1;
  }
  const result = parseManifest(bytes, parsed.options);
  for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  if (result.ok) {
    io.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
    return 0;
  }
  for (const problem of result.problems) io.stderr.write(`${formatProblem(problem)}\n`);
  return 1;
}
