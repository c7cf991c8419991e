import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { withMermaid } from 'vitepress-plugin-mermaid';

const packagesRoot = fileURLToPath(new URL('../../packages', import.meta.url));

/** One sidebar entry per workspace package; its page is generated from the README and typedoc. */
const packagePages = readdirSync(packagesRoot, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const manifest = JSON.parse(readFileSync(join(packagesRoot, entry.name, 'package.json'), 'utf8')) as { name: string };
    return { text: manifest.name, link: `/packages/${entry.name}` };
  })
  .sort((a, b) => a.text.localeCompare(b.text));

export default withMermaid(
  defineConfig({
    title: 'osr-host',
    description: 'Host side of the Osaurus native-plugin system, as small TypeScript libraries and a reference host.',
    cleanUrls: true,
    head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
    lastUpdated: false,
    srcExclude: ['examples/**', 'scripts/**', 'test/**', 'node_modules/**'],
    themeConfig: {
      search: { provider: 'local' },
      nav: [
        { text: 'Author guide', link: '/guide/author/' },
        { text: 'Operator guide', link: '/guide/operator/' },
        { text: 'Host API', link: '/reference/host-api' },
        { text: 'Packages', link: packagePages[0]?.link ?? '/' },
      ],
      sidebar: [
        {
          text: 'Plugin author guide (Linux)',
          items: [
            { text: 'Quickstart', link: '/guide/author/' },
            { text: 'A plugin in C', link: '/guide/author/c' },
            { text: 'A plugin in Rust', link: '/guide/author/rust' },
            { text: 'Testing with the host CLI', link: '/guide/author/testing' },
            { text: 'Debugging', link: '/guide/author/debugging' },
          ],
        },
        {
          text: 'Operator guide',
          items: [
            { text: 'Install and run', link: '/guide/operator/' },
            { text: 'Verify and consent', link: '/guide/operator/verify-and-consent' },
            { text: 'Keys and config', link: '/guide/operator/keys-and-config' },
            { text: 'MCP', link: '/guide/operator/mcp' },
            { text: 'Isolation', link: '/guide/operator/isolation' },
            { text: 'Insights and OpenTelemetry', link: '/guide/operator/insights' },
          ],
        },
        {
          text: 'Reference',
          items: [
            { text: 'Architecture', link: '/architecture' },
            { text: 'Host API', link: '/reference/host-api' },
            { text: 'Compatibility with upstream', link: '/reference/compatibility' },
            { text: 'Decisions', link: '/decisions' },
            { text: 'Benchmarks', link: '/benchmarks' },
          ],
        },
        { text: 'Packages', collapsed: false, items: packagePages },
      ],
    },
    // SVG text labels: HTML labels are measured before the site's font loads and get clipped.
    mermaid: { theme: 'neutral', flowchart: { htmlLabels: false }, sequence: { useMaxWidth: true } },
  }),
);
