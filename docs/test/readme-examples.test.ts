import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../scripts/page.ts';
import { type CodeExample, exampleSources, extractExamples, readExamples, typeCheckExamples } from './support/readme-examples.ts';

/** Inside the workspace, so the examples' imports resolve through its node_modules. */
const scratchParent = join(repositoryRoot, 'docs', 'node_modules', '.cache');

describe('README and docs code examples', () => {
  it('are read from every package and app README, the root README and the hand-written docs pages', () => {
    const sources = exampleSources(repositoryRoot);
    expect(sources).toContain('README.md');
    expect(sources).toContain('packages/runtime/README.md');
    expect(sources).toContain('apps/host/README.md');
    expect(sources).toContain('docs/architecture.md');
    expect(sources.filter((file) => file.startsWith('docs/packages/') || file.startsWith('docs/reference/host-api'))).toEqual([]);
    expect(readExamples(repositoryRoot).filter((example) => example.file.startsWith('packages/')).length).toBeGreaterThanOrEqual(12);
  });

  it('type-check against the packages’ public API', () => {
    expect(typeCheckExamples(readExamples(repositoryRoot), { repositoryRoot, scratchParent })).toEqual([]);
  }, 180_000);
});

describe('extractExamples', () => {
  it('takes ts and typescript blocks with the line of their fence, and notes the no-check opt-out', () => {
    const markdown = ['# Title', '```ts', 'const a = 1;', '```', '```sh', 'ls', '```', '````typescript', '```', '````', '```ts no-check', 'partial(', '```'].join('\n');
    expect(extractExamples(markdown, 'x.md')).toEqual([
      { file: 'x.md', line: 2, code: 'const a = 1;', noCheck: false },
      { file: 'x.md', line: 8, code: '```', noCheck: false },
      { file: 'x.md', line: 11, code: 'partial(', noCheck: true },
    ]);
  });
});

describe('typeCheckExamples', () => {
  it('names the Markdown file and line of a broken example, and skips opted-out blocks', () => {
    const examples: CodeExample[] = [
      { file: 'packages/net/README.md', line: 10, code: "import { createNet } from '@osr-host/net';\nconst net = createNet({ home: '/tmp' });\nnet.httpRequset;", noCheck: false },
      { file: 'packages/net/README.md', line: 20, code: "import { creatNet } from '@osr-host/net';\ncreatNet;", noCheck: false },
      { file: 'packages/net/README.md', line: 30, code: 'this is not TypeScript', noCheck: true },
    ];
    const problems = typeCheckExamples(examples, { repositoryRoot, scratchParent });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^packages\/net\/README\.md:13: TS2551: Property 'httpRequset' does not exist/);
    expect(problems[1]).toMatch(/^packages\/net\/README\.md:21: TS2724: '"@osr-host\/net"' has no exported member named 'creatNet'/);
  }, 120_000);
});
