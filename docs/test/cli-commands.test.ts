import { EventEmitter } from 'node:events';
import { runTasksCli, type TaskManager } from '@osr-host/dispatch';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../apps/host/src/cli/program.ts';
import { checkCommand, commandsInMarkdown, documentationFiles, documentedCommands, simpleCommands } from './support/cli-commands.ts';

const words = (line: string) => simpleCommands(line)[0]!.slice(1);

describe('every osr-host command the documentation shows', () => {
  const commands = documentedCommands();
  const pagesWithCommands = [...new Set(commands.map((command) => command.file))];

  it('are found in the pages and READMEs', () => {
    expect(documentationFiles()).toEqual(expect.arrayContaining(['README.md', 'apps/host/README.md', 'docs/guide/operator/index.md']));
    for (const page of ['index', 'verify-and-consent', 'keys-and-config', 'mcp', 'isolation', 'insights']) {
      expect(pagesWithCommands, page).toContain(`docs/guide/operator/${page}.md`);
    }
  });

  it.each(pagesWithCommands)('%s: each one matches the CLI grammar', (file) => {
    const problems = commands
      .filter((command) => command.file === file)
      .flatMap((command) => {
        const where = `${file}:${command.line}: ${command.text.trim()}`;
        const found = checkCommand(command.argv);
        if (command.refused) return found.length > 0 ? [] : [`${where}\n    shown failing with exit 2, but the CLI grammar accepts it`];
        return found.map((problem) => `${where}\n    ${problem}`);
      });
    expect(problems).toEqual([]);
  });
});

describe('the command check', () => {
  it('accepts commands as the CLI takes them', () => {
    for (const line of [
      'osr-host serve --home /srv/osr --port 8080 --isolate --allow-net 10.0.0.5:8443 --allow-net 10.0.0.6:80',
      `osr-host invoke build/libhello.so greet '{"name":"Ada"}' --agent 6F1E4C7A-2B59-4C1D-9A3E-0123456789AB`,
      'osr-host tools install ./dev.osr.hello-1.0.0.zip --home "$HOME/.osaurus"',
      'osr-host tools upgrade dev.osr.hello --registry /srv/registry',
      'osr-host tasks answer 3F2A hello there',
      'osr-host insights tail -f --plugin dev.osr.hello --level WARN,ERROR',
      'osr-host insights query --payload user.id=42 --payload k=v --since 15m --json',
      'osr-host manifest validate - --plugin-id dev.osr.hello',
      'osr-host --help',
      'osr-host tools --help',
    ]) {
      expect(checkCommand(words(line)), line).toEqual([]);
    }
  });

  it('refuses an invented command, subcommand or option, a missing argument and an option the command ignores', () => {
    expect(checkCommand(words('osr-host start'))).toEqual([expect.stringMatching(/unknown command 'start'/)]);
    expect(checkCommand(words('osr-host strat'))).toEqual([expect.stringMatching(/unknown command 'strat'\n\(Did you mean start\?\)|unknown command 'strat'/)]);
    expect(checkCommand(words('osr-host tools approve dev.osr.hello'))).toEqual([expect.stringMatching(/unknown command 'approve'/)]);
    expect(checkCommand(words('osr-host serve --host 0.0.0.0'))).toEqual([expect.stringMatching(/unknown option '--host'/)]);
    expect(checkCommand(words('osr-host insights stats --verbose'))).toEqual([expect.stringMatching(/Unknown option '--verbose'/)]);
    expect(checkCommand(words('osr-host manifest check plugin.json'))).toEqual([expect.stringMatching(/unknown subcommand "manifest check"/)]);
    expect(checkCommand(words('osr-host tools retry'))).toEqual(["missing required argument 'id'"]);
    expect(checkCommand(words('osr-host config set dev.osr.hello token'))).toEqual(["missing required argument 'value'"]);
    expect(checkCommand(words('osr-host tools upgrade dev.osr.hello'))).toEqual(["required option '--registry <dir|url>' not specified"]);
    expect(checkCommand(words('osr-host tools list --registry /srv/registry'))).toEqual([expect.stringMatching(/unknown option '--registry'/)]);
    expect(checkCommand(words('osr-host insights warnings --since 1h'))).toEqual(['osr-host insights warnings does not read --since']);
    expect(checkCommand(words('osr-host keys revoke ABC DEF'))).toEqual([expect.stringMatching(/too many arguments for 'revoke'/)]);
    expect(checkCommand(words('osr-host invoke lib.so echo --abi 9'))).toEqual([expect.stringMatching(/--abi takes a host ABI level from 1 to 6/)]);
  });

  it('finds commands in sh, bash and console blocks only, through prompts, wrappers, pipes and continuations, and those shown failing', () => {
    const page = [
      '```sh',
      'OSR_HOST_HOME=/srv/osr osr-host tools list   # a comment --not-an-option',
      'npx osr-host keys mint ci 2>/dev/null | tee key.txt && osr-host keys list',
      'node apps/host/dist/cli.js insights stats \\',
      '  --plugin dev.osr.hello',
      'cat > unit.conf <<EOF',
      'osr-host inside a heredoc is file content',
      'EOF',
      'osr-host tools install; echo "exit $?"',
      '# exit 2',
      '```',
      '```console',
      '$ osr-host tools retry dev.osr.hello',
      'osr-host: dev.osr.hello will be loaded again.',
      '```',
      '```json',
      '{ "command": "osr-host" }',
      '```',
    ].join('\n');
    expect(commandsInMarkdown('page.md', page).map(({ line, argv, refused }) => [line, argv.join(' '), refused])).toEqual([
      [2, 'tools list', false],
      [3, 'keys mint ci', false],
      [3, 'keys list', false],
      [4, 'insights stats --plugin dev.osr.hello', false],
      [9, 'tools install', true],
      [13, 'tools retry dev.osr.hello', false],
    ]);
  });

  it('holds the tasks subcommands that @osr-host/dispatch runs', async () => {
    const manager = { list: () => [], history: () => [], cancel: () => false, answer: () => undefined, events: new EventEmitter() } as unknown as TaskManager;
    const io = { out: () => undefined, err: () => undefined, signal: AbortSignal.abort() };
    const run = (argv: string[]) => runTasksCli(argv, io, manager);
    const tasks = createProgram({ check: true }).commands.find((command) => command.name() === 'tasks')!;
    for (const subcommand of tasks.commands) {
      const required = subcommand.registeredArguments.filter((argument) => argument.required);
      expect(await run([subcommand.name(), ...required.map((_, index) => `word${index}`)]), subcommand.name()).not.toBe(2);
      if (required.length > 0) expect(await run([subcommand.name()]), `${subcommand.name()} without arguments`).toBe(2);
    }
    expect(await run(['retry'])).toBe(2);
  });
});
