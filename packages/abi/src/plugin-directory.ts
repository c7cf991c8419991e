/**
 * One loaded plugin as the host's {@link PluginDirectory} lists it.
 *
 * `Instance` is the loaded plugin (the runtime's `PluginInstance`, or the few
 * members a consumer calls); `Manifest` its validated manifest (`@osr-host/manifest`'s
 * `Manifest`, or the fields a consumer reads). Both are type parameters because
 * this package depends on neither.
 */
export interface PluginEntry<Instance = unknown, Manifest = unknown> {
  /** The plugin id the host loaded it under (its manifest `plugin_id` for installed plugins). */
  readonly id: string;
  /** The loaded plugin, through which its tools, routes, config handler and task events are called. */
  readonly instance: Instance;
  /** Its validated manifest. */
  readonly manifest: Manifest;
  /** The directory holding its library: the installed version directory, where `web.static_dir` is resolved. */
  readonly directory: string;
}

/**
 * The registry of loaded plugins, the one way packages reach them (P171). It is
 * a live view: each call answers for the plugins loaded at that moment, so a
 * consumer keeps the directory and never a copy of its entries. A consumer
 * that needs one member takes `Pick<PluginDirectory<…>, 'get'>` or `'list'`.
 */
export interface PluginDirectory<Instance = unknown, Manifest = unknown> {
  /** The loaded plugin with this id (exact, case-sensitive), or undefined. */
  get(id: string): PluginEntry<Instance, Manifest> | undefined;
  /** Every loaded plugin, in load order. */
  list(): readonly PluginEntry<Instance, Manifest>[];
}
