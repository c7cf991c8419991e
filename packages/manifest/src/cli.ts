#!/usr/bin/env node
import { runManifestCli } from './manifest-cli.js';

runManifestCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (status) => {
    process.exitCode = status;
  },
);
