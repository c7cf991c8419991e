#!/usr/bin/env node
// The `osr-host` command npm links at install time, before anything is built: it runs the built CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('osr-host: the CLI is not built yet; run `npm start` (or `npx nx run osr-host:build`) in the repository first.');
  process.exit(1);
}
await import(cli.href);
