import { z } from 'zod';

/**
 * The manifest schema, written once: the TypeScript types (`z.output`) and the
 * shipped JSON Schema (`z.toJSONSchema`, input side) both come from here.
 *
 * Decoding matches the upstream host's Swift `Decodable`: unknown keys are
 * ignored (z.object strips them), required keys must have the right JSON type,
 * and an optional key may be absent or `null` (both become `undefined`).
 */
function optional<T extends z.ZodType>(schema: T) {
  return schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();
}

const routeAuthSchema = z
  .enum(['none', 'verify', 'owner'])
  .meta({ description: 'none: no credential check; verify: the plugin checks signatures itself; owner: an Osaurus access key is required.' });

const configFieldTypeSchema = z.enum(['text', 'secret', 'toggle', 'select', 'multiselect', 'number', 'readonly', 'status']);

const secretSpecSchema = z.object({
  id: z.string(),
  label: z.string(),
  required: z.boolean().meta({ description: 'Required by the host decoder (there is no default when decoding JSON).' }),
  description: optional(z.string().meta({ description: 'Markdown links allowed.' })),
  url: optional(z.string()),
});

const docsLinkSchema = z.object({
  label: z.string(),
  url: z.string(),
});

const docsSpecSchema = z.object({
  readme: optional(z.string()),
  changelog: optional(z.string()),
  links: optional(z.array(docsLinkSchema)),
});

const toolSpecSchema = z.object({
  id: z.string().meta({ description: 'Runtime tool name, passed back to invoke(…, "tool", id, …). Non-empty and unique.' }),
  description: z.string().meta({ description: 'Shown to the model when it picks tools.' }),
  parameters: optional(z.unknown().meta({ description: 'JSON Schema of the tool arguments.' })),
  requirements: optional(z.array(z.string())),
  permission_policy: optional(
    z.string().meta({ description: 'Case-insensitive "auto" or "deny"; anything else means "ask".' }),
  ),
});

const routeSpecSchema = z.object({
  id: z.string().meta({ description: 'Sent to the plugin as route_id. Non-empty and unique.' }),
  path: z.string().meta({
    description: 'Relative to /plugins/<plugin_id>; leading "/" optional; literal, ":name" segments and a trailing "/*".',
  }),
  methods: z
    .array(z.string())
    .transform((methods) => methods.map((method) => method.toUpperCase()))
    .meta({ description: 'HTTP methods, matched case-insensitively.' }),
  auth: routeAuthSchema,
  description: optional(z.string()),
  tunnel_exposed: optional(z.boolean().meta({ description: 'Reachable through the tunnel; default false (loopback only).' })),
});

const webSpecSchema = z.object({
  static_dir: z.string().meta({ description: 'Directory inside the installed version directory.' }),
  entry: z.string().meta({ description: 'File served for the mount root and as the SPA fallback.' }),
  mount: z.string().meta({ description: 'URL prefix under /plugins/<plugin_id>; leading "/" optional.' }),
  auth: routeAuthSchema,
  api_mount: optional(z.string().meta({ description: 'Only sets window.__osaurus.apiUrl; default "/api".' })),
  tunnel_exposed: optional(z.boolean()),
});

const configDefaultSchema = z.union([z.boolean(), z.number(), z.string(), z.array(z.string())]);

const configOptionSchema = z.object({
  value: z.string(),
  label: z.string(),
});

const configValidationSchema = z.object({
  required: optional(z.boolean()),
  pattern: optional(z.string().meta({ description: 'Regular expression that must match somewhere in the value.' })),
  pattern_hint: optional(z.string()),
  min: optional(z.number()),
  max: optional(z.number()),
  min_length: optional(z.number().int()),
  max_length: optional(z.number().int()),
});

const connectActionSchema = z.object({
  type: optional(z.string().meta({ description: 'Only "oauth" is acted on.' })),
  url_route: optional(z.string()),
});

const disconnectActionSchema = z.object({
  clear_keys: optional(z.array(z.string())),
});

const configFieldSchema = z.object({
  key: z.string().meta({ description: 'Storage key, same namespace as config_get.' }),
  type: configFieldTypeSchema,
  label: z.string(),
  placeholder: optional(z.string()),
  default: optional(configDefaultSchema),
  options: optional(z.array(configOptionSchema)),
  validation: optional(configValidationSchema),
  connected_when: optional(z.string()),
  connect_action: optional(connectActionSchema),
  disconnect_action: optional(disconnectActionSchema),
  value_template: optional(z.string()),
  copyable: optional(z.boolean()),
});

const configSectionSchema = z.object({
  title: z.string(),
  fields: z.array(configFieldSchema),
});

const configSpecSchema = z.object({
  title: optional(z.string()),
  sections: z.array(configSectionSchema),
});

const capabilitiesSchema = z.object({
  tools: optional(z.array(toolSpecSchema)),
  routes: optional(z.array(routeSpecSchema)),
  config: optional(configSpecSchema),
  web: optional(webSpecSchema),
  artifact_handler: optional(
    z.boolean().meta({ description: 'true: the plugin receives invoke("artifact", "share", …) for shared artifacts.' }),
  ),
});

export const manifestSchema = z
  .object({
    plugin_id: z.string().meta({ description: 'Canonical plugin id; must equal the install directory name.' }),
    capabilities: capabilitiesSchema,
    name: optional(z.string()),
    version: optional(z.string()),
    description: optional(z.string()),
    license: optional(z.string()),
    authors: optional(z.array(z.string())),
    min_macos: optional(z.string()),
    min_osaurus: optional(z.string().meta({ description: 'Strict semver MAJOR.MINOR.PATCH[-pre][+build].' })),
    instructions: optional(z.string()),
    secrets: optional(z.array(secretSpecSchema)),
    docs: optional(docsSpecSchema),
  })
  .meta({
    title: 'Osaurus native plugin manifest',
    description: 'The JSON a plugin returns from get_manifest. Unknown keys are ignored; null counts as absent.',
  });

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestCapabilities = z.output<typeof capabilitiesSchema>;
export type ManifestTool = z.output<typeof toolSpecSchema>;
export type ManifestRoute = z.output<typeof routeSpecSchema>;
export type ManifestWeb = z.output<typeof webSpecSchema>;
export type RouteAuth = z.output<typeof routeAuthSchema>;
export type ManifestConfig = z.output<typeof configSpecSchema>;
export type ManifestConfigSection = z.output<typeof configSectionSchema>;
export type ManifestConfigField = z.output<typeof configFieldSchema>;
export type ConfigFieldType = z.output<typeof configFieldTypeSchema>;
export type ConfigDefault = z.output<typeof configDefaultSchema>;
export type ConfigOption = z.output<typeof configOptionSchema>;
export type ConfigValidation = z.output<typeof configValidationSchema>;
export type ConnectAction = z.output<typeof connectActionSchema>;
export type DisconnectAction = z.output<typeof disconnectActionSchema>;
export type ManifestSecret = z.output<typeof secretSpecSchema>;
export type ManifestDocs = z.output<typeof docsSpecSchema>;
export type ManifestDocsLink = z.output<typeof docsLinkSchema>;
