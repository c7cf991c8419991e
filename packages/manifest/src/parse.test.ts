import { describe, expect, it } from 'vitest';
import { type ParseManifestOptions, parseManifest } from './parse.js';
import type { ManifestProblemCode } from './problems.js';
import { readFixture } from './test-support/fixtures.js';

type Expected = { code: ManifestProblemCode; path: string; message?: RegExp };

function problemsOf(input: unknown, options?: ParseManifestOptions) {
  const result = parseManifest(input, options);
  return result.ok ? [] : result.problems;
}

function expectProblems(input: unknown, expected: Expected[], options?: ParseManifestOptions) {
  const problems = problemsOf(input, options);
  expect(problems.map(({ code, path }) => ({ code, path }))).toEqual(expected.map(({ code, path }) => ({ code, path })));
  expected.forEach((want, index) => {
    if (want.message) expect(problems[index]!.message).toMatch(want.message);
  });
}

/** A valid manifest to break one piece at a time. */
function base(overrides: Record<string, unknown> = {}, capabilities: Record<string, unknown> = {}) {
  return { plugin_id: 'com.example.test', ...overrides, capabilities };
}

const route = (fields: Record<string, unknown> = {}) => ({ id: 'r', path: '/r', methods: ['GET'], auth: 'none', ...fields });
const web = (fields: Record<string, unknown> = {}) => ({ static_dir: 'web', entry: 'index.html', mount: '/ui', auth: 'none', ...fields });
const field = (fields: Record<string, unknown> = {}) => ({ key: 'k', type: 'text', label: 'K', ...fields });
const config = (...fields: unknown[]) => ({ config: { sections: [{ title: 'S', fields }] } });

describe('spec fixtures', () => {
  it.each([
    ['minimal.json', 'com.example.minimal'],
    ['routes-and-web.json', 'com.example.catalog'],
    ['messaging-bot.json', 'com.example.telegram'],
  ])('%s is a valid manifest', (name, pluginId) => {
    const result = parseManifest(readFixture(name), { expectedPluginId: pluginId, hostVersion: '0.17.2', platform: 'linux' });
    expect(result.ok && result.manifest.plugin_id).toBe(pluginId);
  });

  it.each<[string, Expected[]]>([
    [
      'faq-root-mount-with-health-route.json',
      [{ code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[0].path', message: /route '\/health' under web mount '\/'/ }],
    ],
    [
      'scaffold-osaurus-plugin.json',
      [{ code: 'missing_key', path: '$.capabilities', message: /Add the required key "capabilities" \(an object\)/ }],
    ],
    [
      'unknown-route-auth.json',
      [{ code: 'invalid_value', path: '$.capabilities.routes[0].auth', message: /"none", "verify", "owner" \(got "admin"\)/ }],
    ],
    ['secret-without-required.json', [{ code: 'missing_key', path: '$.secrets[0].required', message: /true or false/ }]],
    [
      'trailing-slash-mount.json',
      [
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[0].path', message: /route 'ui\/status' under web mount '\/ui\/'/ },
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[1].path' },
      ],
    ],
    [
      'id-collisions.json',
      [
        { code: 'empty_id', path: '$.capabilities.tools[1].id', message: /com\.example\.tools declares a tool with an empty id/ },
        { code: 'duplicate_id', path: '$.capabilities.tools[2].id', message: /duplicate tool id 'search' \(first at \$\.capabilities\.tools\[0\]\)/ },
        { code: 'empty_id', path: '$.capabilities.routes[0].id', message: /a route with an empty id/ },
        { code: 'duplicate_id', path: '$.capabilities.routes[2].id', message: /duplicate route id 'hook'/ },
      ],
    ],
  ])('%s is refused with its problems', (name, expected) => {
    expectProblems(readFixture(name), expected);
  });

  it('normalises the messaging bot: unknown keys dropped, methods upper-cased, everything else kept', () => {
    const text = readFixture('messaging-bot.json');
    const result = parseManifest(text, { platform: 'linux' });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const raw = JSON.parse(text);
    expect(result.manifest).not.toHaveProperty('host_capabilities_required');
    const { host_capabilities_required: _ignored, ...declared } = raw;
    expect(result.manifest).toEqual(declared);
  });

  it('upper-cases route methods', () => {
    const result = parseManifest(readFixture('routes-and-web.json'));
    expect(result.ok && result.manifest.capabilities.routes?.[1]?.methods).toEqual(['GET', 'PUT', 'DELETE']);
  });
});

describe('decoding', () => {
  it('ignores unknown keys at every level', () => {
    const result = parseManifest({
      ...base({ extra: 1 }, { tools: [{ id: 't', description: 'd', future: true }], file_importers: [] }),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest).not.toHaveProperty('extra');
    expect(result.manifest.capabilities).not.toHaveProperty('file_importers');
    expect(result.manifest.capabilities.tools?.[0]).toEqual({ id: 't', description: 'd' });
  });

  it('treats null optionals as absent', () => {
    const result = parseManifest(
      base({ name: null, secrets: null, docs: { readme: null, links: null } }, { tools: null, web: null, artifact_handler: null }),
    );
    expect(result.ok && JSON.parse(JSON.stringify(result.manifest))).toEqual({
      plugin_id: 'com.example.test',
      docs: {},
      capabilities: {},
    });
  });

  it.each(['text', 'secret', 'toggle', 'select', 'multiselect', 'number', 'readonly', 'status'])('accepts config field type %s', (type) => {
    expect(parseManifest(base({}, config(field({ type })))).ok).toBe(true);
  });

  it.each([true, 0, 2.5, '', 'x', [], ['a', 'b']])('accepts config default %j', (value) => {
    const result = parseManifest(base({}, config(field({ default: value }))));
    expect(result.ok && result.manifest.capabilities.config?.sections[0]?.fields[0]?.default).toEqual(value);
  });

  it.each<[string, unknown, Expected[]]>([
    ['plugin_id missing', { capabilities: {} }, [{ code: 'missing_key', path: '$.plugin_id', message: /"plugin_id" \(a string\)/ }]],
    ['plugin_id a number', { plugin_id: 7, capabilities: {} }, [{ code: 'invalid_type', path: '$.plugin_id', message: /Use a string here \(got a number\)/ }]],
    ['capabilities null', { plugin_id: 'p', capabilities: null }, [{ code: 'invalid_type', path: '$.capabilities', message: /an object.*got null/ }]],
    ['capabilities an array', { plugin_id: 'p', capabilities: [] }, [{ code: 'invalid_type', path: '$.capabilities' }]],
    ['name a boolean', base({ name: true }), [{ code: 'invalid_type', path: '$.name' }]],
    ['version a number', base({ version: 1 }), [{ code: 'invalid_type', path: '$.version' }]],
    ['description an object', base({ description: {} }), [{ code: 'invalid_type', path: '$.description' }]],
    ['license an array', base({ license: [] }), [{ code: 'invalid_type', path: '$.license' }]],
    ['authors a string', base({ authors: 'me' }), [{ code: 'invalid_type', path: '$.authors', message: /an array/ }]],
    ['authors with a number', base({ authors: ['me', 2] }), [{ code: 'invalid_type', path: '$.authors[1]' }]],
    ['min_macos a number', base({ min_macos: 14 }), [{ code: 'invalid_type', path: '$.min_macos' }]],
    ['min_osaurus a number', base({ min_osaurus: 1 }), [{ code: 'invalid_type', path: '$.min_osaurus' }]],
    ['instructions an array', base({ instructions: ['a'] }), [{ code: 'invalid_type', path: '$.instructions' }]],
    ['secret id missing', base({ secrets: [{ label: 'L', required: true }] }), [{ code: 'missing_key', path: '$.secrets[0].id' }]],
    ['secret label missing', base({ secrets: [{ id: 's', required: true }] }), [{ code: 'missing_key', path: '$.secrets[0].label' }]],
    ['secret required a string', base({ secrets: [{ id: 's', label: 'L', required: 'yes' }] }), [{ code: 'invalid_type', path: '$.secrets[0].required' }]],
    ['secret url a number', base({ secrets: [{ id: 's', label: 'L', required: true, url: 1 }] }), [{ code: 'invalid_type', path: '$.secrets[0].url' }]],
    ['secret description a number', base({ secrets: [{ id: 's', label: 'L', required: true, description: 1 }] }), [{ code: 'invalid_type', path: '$.secrets[0].description' }]],
    ['docs a string', base({ docs: 'README.md' }), [{ code: 'invalid_type', path: '$.docs' }]],
    ['docs readme a number', base({ docs: { readme: 1 } }), [{ code: 'invalid_type', path: '$.docs.readme' }]],
    ['docs changelog a boolean', base({ docs: { changelog: false } }), [{ code: 'invalid_type', path: '$.docs.changelog' }]],
    ['docs link without url', base({ docs: { links: [{ label: 'x' }] } }), [{ code: 'missing_key', path: '$.docs.links[0].url' }]],
    ['docs link without label', base({ docs: { links: [{ url: 'x' }] } }), [{ code: 'missing_key', path: '$.docs.links[0].label' }]],
    ['tools an object', base({}, { tools: {} }), [{ code: 'invalid_type', path: '$.capabilities.tools' }]],
    ['tool without description', base({}, { tools: [{ id: 't' }] }), [{ code: 'missing_key', path: '$.capabilities.tools[0].description' }]],
    ['tool id a number', base({}, { tools: [{ id: 3, description: 'd' }] }), [{ code: 'invalid_type', path: '$.capabilities.tools[0].id' }]],
    ['tool requirements a string', base({}, { tools: [{ id: 't', description: 'd', requirements: 'network' }] }), [{ code: 'invalid_type', path: '$.capabilities.tools[0].requirements' }]],
    ['tool permission_policy a boolean', base({}, { tools: [{ id: 't', description: 'd', permission_policy: true }] }), [{ code: 'invalid_type', path: '$.capabilities.tools[0].permission_policy' }]],
    [
      'route without auth',
      base({}, { routes: [{ id: 'r', path: '/r', methods: ['GET'] }] }),
      [{ code: 'missing_key', path: '$.capabilities.routes[0].auth', message: /Add the required key "auth" \(one of "none", "verify", "owner"\)/ }],
    ],
    ['route auth upper-case', base({}, { routes: [route({ auth: 'OWNER' })] }), [{ code: 'invalid_value', path: '$.capabilities.routes[0].auth' }]],
    ['route methods a string', base({}, { routes: [route({ methods: 'GET' })] }), [{ code: 'invalid_type', path: '$.capabilities.routes[0].methods' }]],
    ['route method a number', base({}, { routes: [route({ methods: ['GET', 1] })] }), [{ code: 'invalid_type', path: '$.capabilities.routes[0].methods[1]' }]],
    ['route path missing', base({}, { routes: [{ id: 'r', methods: ['GET'], auth: 'none' }] }), [{ code: 'missing_key', path: '$.capabilities.routes[0].path' }]],
    ['route tunnel_exposed a string', base({}, { routes: [route({ tunnel_exposed: 'true' })] }), [{ code: 'invalid_type', path: '$.capabilities.routes[0].tunnel_exposed' }]],
    ['route description a number', base({}, { routes: [route({ description: 1 })] }), [{ code: 'invalid_type', path: '$.capabilities.routes[0].description' }]],
    ['web without entry', base({}, { web: { static_dir: 'web', mount: '/ui', auth: 'none' } }), [{ code: 'missing_key', path: '$.capabilities.web.entry' }]],
    ['web without auth', base({}, { web: { static_dir: 'web', entry: 'index.html', mount: '/ui' } }), [{ code: 'missing_key', path: '$.capabilities.web.auth' }]],
    ['web auth unknown', base({}, { web: web({ auth: 'public' }) }), [{ code: 'invalid_value', path: '$.capabilities.web.auth' }]],
    ['web api_mount a number', base({}, { web: web({ api_mount: 1 }) }), [{ code: 'invalid_type', path: '$.capabilities.web.api_mount' }]],
    ['web tunnel_exposed a number', base({}, { web: web({ tunnel_exposed: 1 }) }), [{ code: 'invalid_type', path: '$.capabilities.web.tunnel_exposed' }]],
    ['artifact_handler a string', base({}, { artifact_handler: 'yes' }), [{ code: 'invalid_type', path: '$.capabilities.artifact_handler' }]],
    ['config without sections', base({}, { config: { title: 'T' } }), [{ code: 'missing_key', path: '$.capabilities.config.sections' }]],
    ['config title a number', base({}, { config: { title: 1, sections: [] } }), [{ code: 'invalid_type', path: '$.capabilities.config.title' }]],
    ['section without title', base({}, { config: { sections: [{ fields: [] }] } }), [{ code: 'missing_key', path: '$.capabilities.config.sections[0].title' }]],
    ['section without fields', base({}, { config: { sections: [{ title: 'S' }] } }), [{ code: 'missing_key', path: '$.capabilities.config.sections[0].fields' }]],
    ['field without key', base({}, config({ type: 'text', label: 'L' })), [{ code: 'missing_key', path: '$.capabilities.config.sections[0].fields[0].key' }]],
    ['field without label', base({}, config({ key: 'k', type: 'text' })), [{ code: 'missing_key', path: '$.capabilities.config.sections[0].fields[0].label' }]],
    [
      'field type unknown',
      base({}, config(field({ type: 'password' }))),
      [{ code: 'invalid_value', path: '$.capabilities.config.sections[0].fields[0].type', message: /"text", "secret", "toggle", "select", "multiselect", "number", "readonly", "status" \(got "password"\)/ }],
    ],
    [
      'field default an object',
      base({}, config(field({ default: { on: true } }))),
      [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].default', message: /true\/false, a number, a string or an array of strings here \(got an object\)/ }],
    ],
    ['field default a mixed array', base({}, config(field({ default: ['a', 1] }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].default' }]],
    ['field placeholder a number', base({}, config(field({ placeholder: 1 }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].placeholder' }]],
    ['field option without label', base({}, config(field({ options: [{ value: 'a' }] }))), [{ code: 'missing_key', path: '$.capabilities.config.sections[0].fields[0].options[0].label' }]],
    ['field option value a number', base({}, config(field({ options: [{ value: 1, label: 'One' }] }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].options[0].value' }]],
    ['validation required a string', base({}, config(field({ validation: { required: 'yes' } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.required' }]],
    ['validation pattern a number', base({}, config(field({ validation: { pattern: 1 } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.pattern' }]],
    ['validation pattern_hint a boolean', base({}, config(field({ validation: { pattern_hint: true } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.pattern_hint' }]],
    ['validation min a string', base({}, config(field({ validation: { min: '1' } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.min' }]],
    ['validation max a string', base({}, config(field({ validation: { max: '9' } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.max' }]],
    [
      'validation min_length a fraction',
      base({}, config(field({ validation: { min_length: 2.5 } }))),
      [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.min_length', message: /a whole number here \(got 2\.5\)/ }],
    ],
    ['validation max_length a string', base({}, config(field({ validation: { max_length: '9' } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].validation.max_length' }]],
    ['connected_when a boolean', base({}, config(field({ connected_when: true }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].connected_when' }]],
    ['connect_action a string', base({}, config(field({ connect_action: 'oauth' }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].connect_action' }]],
    ['connect_action url_route a number', base({}, config(field({ connect_action: { type: 'oauth', url_route: 1 } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].connect_action.url_route' }]],
    ['disconnect_action clear_keys a string', base({}, config(field({ disconnect_action: { clear_keys: 'token' } }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].disconnect_action.clear_keys' }]],
    ['value_template a number', base({}, config(field({ value_template: 1 }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].value_template' }]],
    ['copyable a string', base({}, config(field({ copyable: 'yes' }))), [{ code: 'invalid_type', path: '$.capabilities.config.sections[0].fields[0].copyable' }]],
  ])('%s', (_name, manifest, expected) => {
    expectProblems(manifest, expected);
  });
});

describe('load-time rules', () => {
  it.each<[string, unknown, ParseManifestOptions, Expected[]]>([
    [
      'plugin_id differs from the install directory',
      base(),
      { expectedPluginId: 'com.example.other' },
      [
        {
          code: 'plugin_id_mismatch',
          path: '$.plugin_id',
          message: /^Plugin manifest declares plugin_id 'com\.example\.test' but is installed as 'com\.example\.other'\. Reinstall the plugin under its canonical ID\.$/,
        },
      ],
    ],
    ['plugin_id equals the install directory', base(), { expectedPluginId: 'com.example.test' }, []],
    ['plugin_id blank', { plugin_id: ' ', capabilities: {} }, { expectedPluginId: 'x' }, [{ code: 'invalid_plugin_id', path: '$.plugin_id', message: /empty/ }]],
    ['plugin_id with a slash', { plugin_id: 'a/b', capabilities: {} }, {}, [{ code: 'invalid_plugin_id', path: '$.plugin_id' }]],
    ['plugin_id with ..', { plugin_id: 'a..b', capabilities: {} }, {}, [{ code: 'invalid_plugin_id', path: '$.plugin_id' }]],
    ['ids compared as written', base({}, { tools: [{ id: 'a', description: 'd' }, { id: 'a ', description: 'd' }] }), {}, []],
    [
      'route path syntax',
      base({}, { routes: [route({ path: '/files*' }), route({ id: 'r2', path: '/a/*/b' }), route({ id: 'r3', path: '/items/:' })] }),
      {},
      [
        { code: 'invalid_route_path', path: '$.capabilities.routes[0].path', message: /^Route path '\/files\*': Segment "files\*" mixes/ },
        { code: 'invalid_route_path', path: '$.capabilities.routes[1].path', message: /only allowed as the last segment/ },
        { code: 'invalid_route_path', path: '$.capabilities.routes[2].path', message: /needs a parameter name/ },
      ],
    ],
    [
      'empty route methods and non-token methods',
      base({}, { routes: [route({ methods: [] }), route({ id: 'r2', methods: ['GET POST', ''] })] }),
      {},
      [
        { code: 'invalid_method', path: '$.capabilities.routes[0].methods', message: /at least one HTTP method/ },
        { code: 'invalid_method', path: '$.capabilities.routes[1].methods[0]', message: /"GET POST" is not an HTTP method name/ },
        { code: 'invalid_method', path: '$.capabilities.routes[1].methods[1]' },
      ],
    ],
    [
      'web static_dir and entry outside the version directory',
      base({}, { web: web({ static_dir: '../shared', entry: '/etc/passwd' }) }),
      {},
      [
        { code: 'invalid_web_path', path: '$.capabilities.web.static_dir', message: /leaves the plugin's version directory/ },
        { code: 'invalid_web_path', path: '$.capabilities.web.entry' },
      ],
    ],
    ['web static_dir blank', base({}, { web: web({ static_dir: '' }) }), {}, [{ code: 'invalid_web_path', path: '$.capabilities.web.static_dir', message: /empty/ }]],
    [
      'min_osaurus above the host',
      base({ min_osaurus: '0.18.0' }),
      { hostVersion: '0.17.9' },
      [
        {
          code: 'min_osaurus_not_met',
          path: '$.min_osaurus',
          message: /^Plugin com\.example\.test requires Osaurus 0\.18\.0 or later; this host is 0\.17\.9\. Update Osaurus to load this plugin\.$/,
        },
      ],
    ],
    ['min_osaurus message names the install id', base({ min_osaurus: '2.0.0' }), { hostVersion: '1', expectedPluginId: 'com.example.test' }, [{ code: 'min_osaurus_not_met', path: '$.min_osaurus', message: /this host is 1\./ }]],
    ['min_osaurus equal to a padded host version', base({ min_osaurus: '1.0.0' }), { hostVersion: '1.0' }, []],
    ['min_osaurus pre-release below the release host', base({ min_osaurus: '1.2.0-beta.1' }), { hostVersion: '1.2.0' }, []],
    ['min_osaurus release above a pre-release host', base({ min_osaurus: '1.2.0' }), { hostVersion: '1.2.0-rc.1' }, [{ code: 'min_osaurus_not_met', path: '$.min_osaurus' }]],
    ['min_osaurus blank is no requirement', base({ min_osaurus: ' ' }), { hostVersion: '0.0.1' }, []],
    [
      'min_macos above this Mac',
      base({ min_macos: '15' }),
      { platform: 'darwin', macosVersion: '14.6.1' },
      [
        {
          code: 'min_macos_not_met',
          path: '$.min_macos',
          message: /^Plugin com\.example\.test requires macOS 15\.0\.0 or later; this Mac is on 14\.6\.1\. Update macOS to load this plugin\.$/,
        },
      ],
    ],
    ['min_macos met on macOS', base({ min_macos: '14.2' }), { platform: 'darwin', macosVersion: '14.6' }, []],
    ['min_macos on Linux', base({ min_macos: '99' }), { platform: 'linux', macosVersion: '14.0' }, []],
    [
      'web mount / shadows every route',
      base({}, { routes: [route({ path: '/health' }), route({ id: 'r2', path: '/' })], web: web({ mount: '/' }) }),
      {},
      [
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[0].path' },
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[1].path' },
      ],
    ],
    ['web mount matches by segment', base({}, { routes: [route({ path: '/ui-other' }), route({ id: 'r2', path: 'uix/a' })], web: web({ mount: 'ui' }) }), {}, []],
    [
      'web mount captures itself and below',
      base({}, { routes: [route({ path: '/ui' }), route({ id: 'r2', path: '/ui/:id' })], web: web({ mount: 'ui' }) }),
      {},
      [
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[0].path', message: /^Plugin com\.example\.test declares route '\/ui' under web mount 'ui'; the static web branch would shadow this route\. Move the route outside the web mount or remove the web mount overlap\.$/ },
        { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[1].path' },
      ],
    ],
  ])('%s', (_name, manifest, options, expected) => {
    expectProblems(manifest, expected, options);
  });
});

describe('every problem at once', () => {
  it('reports decode problems and load-time problems together, in load order', () => {
    const manifest = {
      plugin_id: 'com.example.wrong',
      min_osaurus: '9.0.0',
      capabilities: {
        tools: [{ id: '', description: 3 }],
        routes: [route({ path: '/ui/x', auth: 'root' })],
        web: web(),
      },
    };
    expectProblems(manifest, [
      { code: 'invalid_type', path: '$.capabilities.tools[0].description' },
      { code: 'invalid_value', path: '$.capabilities.routes[0].auth' },
      { code: 'plugin_id_mismatch', path: '$.plugin_id' },
      { code: 'empty_id', path: '$.capabilities.tools[0].id' },
      { code: 'min_osaurus_not_met', path: '$.min_osaurus' },
      { code: 'route_shadowed_by_web_mount', path: '$.capabilities.routes[0].path' },
    ], { expectedPluginId: 'com.example.right', hostVersion: '1.0.0' });
  });

  it('keeps the decoded manifest when only load-time rules fail', () => {
    const result = parseManifest(readFixture('faq-root-mount-with-health-route.json'));
    expect(!result.ok && result.manifest?.plugin_id).toBe('com.example.dashboard');
  });

  it('has no manifest when decoding failed', () => {
    const result = parseManifest(readFixture('unknown-route-auth.json'));
    expect(result.ok).toBe(false);
    expect(result).not.toHaveProperty('manifest');
  });
});

describe('notes', () => {
  it.each<[string, unknown, ParseManifestOptions, RegExp[]]>([
    ['min_macos on Linux', base({ min_macos: '14.0' }), { platform: 'linux' }, [/min_macos '14\.0' is ignored on linux/]],
    ['min_macos without a macOS version', base({ min_macos: '14.0' }), { platform: 'darwin' }, [/min_macos '14\.0' was not checked/]],
    ['min_macos unparseable', base({ min_macos: 'Sonoma' }), { platform: 'darwin', macosVersion: '14.0' }, [/min_macos 'Sonoma' is not MAJOR/]],
    ['macOS version unparseable', base({ min_macos: '14' }), { platform: 'darwin', macosVersion: 'unknown' }, [/macOS version 'unknown' cannot be parsed/]],
    ['min_osaurus without a host version', base({ min_osaurus: '1.0.0' }), {}, [/min_osaurus '1\.0\.0' was not checked/]],
    ['min_osaurus not strict semver', base({ min_osaurus: '1.2' }), { hostVersion: '0.1.0' }, [/min_osaurus '1\.2' is not a MAJOR\.MINOR\.PATCH version/]],
    ['min_osaurus not strict semver, no host version', base({ min_osaurus: 'v1' }), {}, [/min_osaurus 'v1' is not a MAJOR\.MINOR\.PATCH version/]],
    ['host version unparseable (fail open)', base({ min_osaurus: '1.0.0' }), { hostVersion: 'dev' }, [/host version 'dev' cannot be parsed/]],
    ['permission_policy not recognised', base({}, { tools: [{ id: 't', description: 'd', permission_policy: 'prompt' }] }), {}, [/\$\.capabilities\.tools\[0\]\.permission_policy: 'prompt'.*treats it as "ask"/]],
    ['recognised permission_policy in any case', base({}, { tools: [{ id: 't', description: 'd', permission_policy: 'Deny' }] }), {}, []],
  ])('%s', (_name, manifest, options, expected) => {
    const result = parseManifest(manifest, options);
    expect(result.ok).toBe(true);
    expect(result.notes).toHaveLength(expected.length);
    expected.forEach((pattern, index) => {
      expect(result.notes[index]).toMatch(pattern);
    });
  });

  it('defaults the platform to the running one', () => {
    const result = parseManifest(base({ min_macos: '14.0' }));
    expect(result.notes.join('\n')).toContain(process.platform === 'darwin' ? 'was not checked' : `ignored on ${process.platform}`);
  });
});
