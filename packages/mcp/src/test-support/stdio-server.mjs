// Serves fixture plugins over MCP stdio, as `osr-host mcp` does; spawned by the stdio tests.
// Plain Node: it imports the built packages. Arguments: <agent id> <library> <plugin id> [<library> <plugin id>]...
import { dirname } from 'node:path';
import { loadManifest } from '@osr-host/manifest';
import { createPluginToolServer, serveStdio } from '@osr-host/mcp';
import { NativePlugin } from '@osr-host/runtime';

const [agentId, ...pairs] = process.argv.slice(2);
const loaded = [];
for (let index = 0; index + 1 < pairs.length; index += 2) {
  const plugin = await NativePlugin.load(pairs[index], {
    pluginId: pairs[index + 1],
    hostApi: { get_active_agent_id: (ctx) => ctx.agentId },
  });
  loaded.push({ id: plugin.id, instance: plugin, manifest: loadManifest(plugin.manifestText).manifest, directory: dirname(plugin.path) });
}
const toolServer = createPluginToolServer({ plugins: { list: () => loaded }, agentId, progressIntervalMs: 50 });
const connection = await serveStdio(toolServer);
await connection.closed;
process.stderr.write('stdio connection closed\n');
await Promise.all(loaded.map(({ instance }) => instance.shutdown()));
process.stderr.write('plugins shut down\n');
