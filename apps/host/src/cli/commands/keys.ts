import { join } from 'node:path';
import { AccessKeyStore } from '@osr-host/routes';
import type { Command } from 'commander';
import { resolveHome } from '../../paths.js';
import { type Act, examples } from '../act.js';
import { EXIT, fail, finish, json, table } from '../io.js';
import { type HostOptionValues, OPTION } from '../options.js';

export function accessKeysFile(home: string): string {
  return join(home, 'config', 'access-keys.json');
}

/** Host access keys for `owner` routes, web UIs and `/mcp`: minted in full once, stored as hashes. */
export function registerKeysCommand(program: Command, act: Act): void {
  const keys = examples(program.command('keys').description('host access keys for owner routes, web UIs and /mcp'), [
    'osr-host keys mint ci',
    'osr-host keys list --json',
  ]);
  const store = (options: HostOptionValues) => new AccessKeyStore(accessKeysFile(resolveHome(options.home)));
  act(keys.command('mint').description('mint a key; it is printed once').argument('[label]').addOption(OPTION.home()), ([label], options: HostOptionValues) => {
    const minted = store(options).mint((label as string | undefined) ?? '');
    return finish(EXIT.ok, `${minted.key}\n`, `access key ${minted.id} minted; it is shown only once.`);
  });
  act(keys.command('list').description('list the keys (never their secrets)').addOption(OPTION.home()).addOption(OPTION.json()), async (_args, options: HostOptionValues) => {
    const listed = store(options).list();
    if (options.json) return finish(EXIT.ok, json(listed));
    if (listed.length === 0) return finish(EXIT.ok, 'No access keys; mint one with `osr-host keys mint [label]`.\n');
    return finish(EXIT.ok, table(['ID', 'LABEL', 'CREATED'], listed.map((key) => [key.id, key.label, key.createdAt])));
  });
  act(keys.command('revoke').description('revoke a key by id').argument('<id>').addOption(OPTION.home()), ([id], options: HostOptionValues) =>
    store(options).revoke(id as string) ? finish(EXIT.ok) : fail(`No access key ${id}; see \`osr-host keys list\`.`),
  );
}
