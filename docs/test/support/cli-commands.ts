import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { INSIGHTS_CLI_COMMANDS, INSIGHTS_CLI_OPTIONS } from '@osr-host/insights';
import { MANIFEST_CLI_OPTIONS } from '@osr-host/manifest';
import { CommanderError, createProgram } from '../../../apps/host/src/cli/program.ts';
import { handWrittenPages, repositoryRoot } from '../../scripts/page.ts';

/** Every hand-written page that may show `osr-host` commands, relative to the repository root. */
export function documentationFiles(): string[] {
  return ['README.md', 'apps/host/README.md', ...handWrittenPages()];
}

/** One `osr-host` command as a page shows it. */
export interface DocumentedCommand {
  file: string;
  /** 1-based line of the command in the file. */
  line: number;
  text: string;
  /** The words after `osr-host`, as the shell would pass them. */
  argv: string[];
  /** The page shows it failing as a usage error: the next line is the comment `# exit 2`. */
  refused: boolean;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** The shell lines of a page's sh, bash and console blocks, with their line numbers. */
function shellLines(markdown: string): Array<{ line: number; text: string }> {
  const lines = markdown.split('\n');
  const found: Array<{ line: number; text: string }> = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const [, indent = '', fence = '', language = ''] = open;
    const closing = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    const body: Array<{ line: number; text: string }> = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const text = lines[end]!;
      if (closing.test(text)) break;
      body.push({ line: end + 1, text: text.startsWith(indent) ? text.slice(indent.length) : text.trimStart() });
    }
    index = end;
    if (!SHELL_LANGUAGES.has(language)) continue;
    // In a console block with prompts, only prompted lines (and their continuations) are commands.
    const prompted = language === 'console' && body.some(({ text }) => text.startsWith('$ '));
    let continuing = false;
    for (const { line, text } of body) {
      if (prompted && !continuing && !text.startsWith('$ ')) continue;
      const command: string = prompted && !continuing ? text.slice(2) : text;
      found.push({ line, text: command });
      continuing = command.trimEnd().endsWith('\\');
    }
  }
  return found;
}

/**
 * Splits shell text into simple commands (split at `&&`, `||`, `|`, `;`, `&`, parentheses and
 * `$(`), each a list of words with quotes removed. Redirections and comments are dropped;
 * `<placeholder>` stays one word, as the pages use it for values the reader fills in.
 */
export function simpleCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let skipNextWord = false;
  const endWord = () => {
    if (word !== null) {
      if (skipNextWord) skipNextWord = false;
      else words.push(word);
    }
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let at = 0; at < text.length; at++) {
    const char = text[at]!;
    const rest = text.slice(at);
    if (char === "'") {
      const close = text.indexOf("'", at + 1);
      const end = close === -1 ? text.length : close;
      word = (word ?? '') + text.slice(at + 1, end);
      at = end;
    } else if (char === '"') {
      let value = '';
      for (at++; at < text.length && text[at] !== '"'; at++) {
        if (text[at] === '\\' && /["\\$`]/.test(text[at + 1] ?? '')) at++;
        value += text[at];
      }
      word = (word ?? '') + value;
    } else if (char === '\\') {
      if (text[at + 1] === '\n') at++;
      else word = (word ?? '') + (text[++at] ?? '');
    } else if (/\s/.test(char)) {
      endWord();
    } else if (char === '#' && word === null) {
      const newline = text.indexOf('\n', at);
      at = newline === -1 ? text.length : newline - 1;
    } else if (char === '<' && word === null && /^<[^\s<>]+>/.test(rest)) {
      const placeholder = /^<[^\s<>]+>/.exec(rest)![0];
      word = placeholder;
      at += placeholder.length - 1;
    } else if (char === '>' || char === '<' || (char === '&' && rest.startsWith('&>'))) {
      // A redirection: an fd number before it and its target after it are not arguments.
      if (word !== null && /^\d+$/.test(word)) word = null;
      endWord();
      const operator = /^(&>>?|>>?|<<?-?)(&\d+)?/.exec(rest)![0];
      at += operator.length - 1;
      skipNextWord = !/&\d+$/.test(operator);
    } else if (char === '$' && text[at + 1] === '(') {
      endCommand();
      at++;
    } else if ('|&;()'.includes(char)) {
      endCommand();
      if (rest.startsWith('&&') || rest.startsWith('||')) at++;
    } else {
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return commands;
}

/** Words that run another command, with the options of theirs that take a value. */
const WRAPPERS: Record<string, string[]> = { env: [], exec: [], nohup: [], npx: [], time: [], sudo: ['-u', '-g'] };

/** The arguments of `osr-host` (or `node …/apps/host/dist/cli.js`) in a simple command, if it runs it. */
function osrHostArguments(words: string[]): string[] | undefined {
  let at = 0;
  for (;;) {
    while (at < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[at]!)) at++;
    const valued = WRAPPERS[words[at] ?? ''];
    if (!valued) break;
    for (at++; words[at]?.startsWith('-'); at++) if (valued.includes(words[at]!)) at++;
  }
  const program = words[at];
  if (program === 'osr-host' || program?.endsWith('apps/host/dist/cli.js')) return words.slice(at + 1);
  if (program === 'node' && words[at + 1]?.endsWith('apps/host/dist/cli.js')) return words.slice(at + 2);
  return undefined;
}

/** Every `osr-host` command in a page's shell blocks. */
export function commandsInMarkdown(file: string, markdown: string): DocumentedCommand[] {
  const commands: DocumentedCommand[] = [];
  const lines = shellLines(markdown);
  let heredocEnd: string | undefined;
  for (let index = 0; index < lines.length; index++) {
    const { line } = lines[index]!;
    let text = lines[index]!.text;
    if (heredocEnd !== undefined) {
      if (text.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    while (text.trimEnd().endsWith('\\') && index + 1 < lines.length) text = `${text.trimEnd()}\n${lines[++index]!.text}`;
    heredocEnd = /<<-?\s*['"]?(\w+)['"]?/.exec(text)?.[1];
    const refused = /^#\s*exit 2\b/.test(lines[index + 1]?.text.trim() ?? '');
    for (const words of simpleCommands(text)) {
      const argv = osrHostArguments(words);
      if (argv) commands.push({ file, line, text: text.replace(/\\\n\s*/g, ''), argv, refused });
    }
  }
  return commands;
}

export function documentedCommands(): DocumentedCommand[] {
  return documentationFiles().flatMap((file) => commandsInMarkdown(file, readFileSync(join(repositoryRoot, file), 'utf8')));
}

/** How a package-parsed command reads its words: its option table, subcommands, their arguments and options. */
interface DelegatedForm {
  arguments: readonly string[];
  options: readonly string[];
}

/**
 * Commands osr-host hands to a package that parses them itself (commander passes their words
 * through), checked against that package's own option table.
 */
const DELEGATED: Record<string, { optionTable: NonNullable<ParseArgsConfig['options']>; subcommands: Record<string, DelegatedForm> }> = {
  insights: {
    optionTable: INSIGHTS_CLI_OPTIONS,
    subcommands: Object.fromEntries(Object.entries(INSIGHTS_CLI_COMMANDS).map(([name, options]) => [name, { arguments: [], options }])),
  },
  manifest: { optionTable: MANIFEST_CLI_OPTIONS, subcommands: { validate: { arguments: ['<file|->'], options: ['plugin-id', 'host-version'] } } },
};

function checkDelegated(command: string, rest: readonly string[]): string[] {
  const grammar = DELEGATED[command]!;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...rest], options: grammar.optionTable, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    return [`osr-host ${command}: ${(error as Error).message.split('. ')[0]}`];
  }
  if (parsed.values.help) return [];
  const [subcommand, ...positionals] = parsed.positionals;
  const known = Object.keys(grammar.subcommands).join(', ');
  if (subcommand === undefined) return [`osr-host ${command} needs a subcommand (${known})`];
  if (!Object.hasOwn(grammar.subcommands, subcommand)) return [`unknown subcommand "${command} ${subcommand}" (known: ${known})`];
  const form = grammar.subcommands[subcommand]!;
  const name = `osr-host ${command} ${subcommand}`;
  const used = new Set((parsed.tokens ?? []).flatMap((token) => (token.kind === 'option' ? [token.name] : [])));
  const problems = [...used].filter((option) => option !== 'help' && !form.options.includes(option)).map((option) => `${name} does not read --${option}`);
  const required = form.arguments.filter((argument) => argument.startsWith('<'));
  if (positionals.length < required.length) problems.push(`${name} needs ${required.slice(positionals.length).join(' ')}`);
  else if (positionals.length > form.arguments.length) problems.push(`${name} takes no argument "${positionals[form.arguments.length]}"`);
  return problems;
}

/**
 * What is wrong with `osr-host <argv>` by the CLI's own command line: the same commander program
 * the CLI runs, built to parse only. An unknown command or option, a missing argument or required
 * option, too many arguments: commander's own message. Empty when the command is right.
 */
export function checkCommand(argv: readonly string[]): string[] {
  const [command, subcommand] = argv;
  if (command !== undefined && Object.hasOwn(DELEGATED, command) && !(command === 'insights' && subcommand === 'link')) {
    return checkDelegated(command, argv.slice(1));
  }
  try {
    createProgram({ check: true }).parse([...argv], { from: 'user' });
    return [];
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return [];
    return [error.message.replace(/^error: /, '')];
  }
}
