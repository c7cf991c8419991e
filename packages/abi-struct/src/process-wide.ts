const REGISTRY = Symbol.for('@osr-host/abi-struct');

/**
 * One value per process for `key`, shared by this package's ESM and CJS builds when a
 * program loads both: koffi's named types and the C bridge's state are process-wide, so a
 * second copy would collide (duplicate type names) or split the bridge's events.
 */
export function processWide<T>(key: string, create: () => T): T {
  const holder = globalThis as { [REGISTRY]?: Map<string, unknown> };
  let registry = holder[REGISTRY];
  if (!registry) {
    registry = new Map();
    holder[REGISTRY] = registry;
  }
  if (!registry.has(key)) registry.set(key, create());
  return registry.get(key) as T;
}
