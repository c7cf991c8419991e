import type { PluginInstance } from '../plugin-instance.js';

/**
 * Calls the test plugin's `release` tool until `done()`. It frees only the calls already waiting, and a
 * call just started may not have reached its wait yet: its thread may still be waking a worker for the
 * call queued behind it (P185).
 */
export async function releaseUntil(plugin: PluginInstance, done: () => boolean): Promise<void> {
  while (!done()) {
    await plugin.invokeTool('release', '');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
