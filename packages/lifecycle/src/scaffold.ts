import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_HOST_ABI_LEVEL, HOST_SLOTS, hostSlotOffset, hostTableSize, PLUGIN_FIELDS, pluginFieldOffset } from '@osr-host/abi-struct';
import { LifecycleError } from './errors.js';
import { pluginHeaderPath } from './layout.js';

export type ScaffoldLanguage = 'c' | 'rust';

export interface ScaffoldOptions {
  language: ScaffoldLanguage;
  /** Created if missing; must be empty. */
  directory: string;
}

export interface Scaffold {
  directory: string;
  pluginId: string;
  /** Paths relative to `directory`. */
  files: string[];
  /** The command that builds it, run in `directory`. */
  build: string[];
  /** Where the built library lands, relative to `directory`. */
  library: string;
}

const extension = process.platform === 'darwin' ? 'dylib' : 'so';

function manifestFor(pluginId: string, name: string): string {
  return JSON.stringify({
    plugin_id: pluginId,
    name,
    version: '0.1.0',
    description: `The ${name} plugin.`,
    capabilities: {
      tools: [{ id: 'hello', description: 'Greets someone by name.', parameters: { type: 'object', properties: { name: { type: 'string' } } } }],
      routes: [{ id: 'health', path: '/health', methods: ['GET'], auth: 'none' }],
    },
  });
}

function readme(name: string, pluginId: string, build: string, library: string): string {
  return `# ${name}

An Osaurus native plugin (\`${pluginId}\`): one tool, \`hello\`, and one route, \`GET /health\`.

## Build

\`\`\`sh
${build}
\`\`\`

The library is \`${library}\`.

## Develop

\`\`\`sh
osr-host tools dev .                       # rebuild, install in dev mode and reload on every save
osr-host invoke ${library} hello '{"name":"Ada"}'
osr-host manifest validate osaurus-plugin.json
\`\`\`

The manifest is \`osaurus-plugin.json\`: the build embeds that file, so edit it there.

With \`osr-host serve --dev\` running (and \`tools dev .\` installing each build), call the route.
Plugin routes run under an agent, even with \`auth: "none"\`: name one with \`?osr_agent=<UUID>\` or
the \`X-Osaurus-Agent-Id\` header (\`osr-host agents default\` prints the host's default agent).

\`\`\`sh
curl "http://127.0.0.1:1337/plugins/${pluginId}/health?osr_agent=$(osr-host agents default)"
\`\`\`

## Ship

Zip the library as \`${pluginId}-<version>.zip\`, sign the library with minisign
(\`minisign -Sm <library>\`, keep the \`.minisig\` beside it in the zip) and
install it with \`osr-host tools install ./${pluginId}-0.1.0.zip\`.
`;
}

function cPlugin(name: string): string {
  return `/* ${name}: an Osaurus native plugin. One tool (hello) and one route (GET /health). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osaurus_plugin.h"

static const osr_host_api* host = NULL;

static void plugin_free_string(const char* s) { free((void*)s); }

static osr_plugin_ctx_t plugin_init(void) {
  static int context = 1;
  return &context;
}

static void plugin_destroy(osr_plugin_ctx_t ctx) { (void)ctx; }

/* osaurus-plugin.json, made into a C string by the Makefile: the manifest has one copy. */
static const char MANIFEST[] =
#include "manifest.inc"
    ;

static const char* plugin_get_manifest(osr_plugin_ctx_t ctx) {
  (void)ctx;
  return strdup(MANIFEST);
}

/* Reads "name":"..." from a flat JSON object. */
static void read_name(const char* payload, char* out, size_t size) {
  snprintf(out, size, "world");
  const char* key = payload ? strstr(payload, "\\"name\\"") : NULL;
  const char* open = key ? strchr(key + 6, '"') : NULL;
  if (!open) return;
  size_t length = strcspn(open + 1, "\\"\\\\");
  if (length > 0 && length < size) snprintf(out, size, "%.*s", (int)length, open + 1);
}

static const char* plugin_invoke(osr_plugin_ctx_t ctx, const char* type, const char* id, const char* payload) {
  (void)ctx;
  char* out = malloc(512);
  if (strcmp(type, "tool") == 0 && strcmp(id, "hello") == 0) {
    char who[128];
    read_name(payload, who, sizeof who);
    snprintf(out, 512, "{\\"ok\\":true,\\"result\\":{\\"greeting\\":\\"Hello, %s!\\"}}", who);
  } else {
    snprintf(out, 512, "{\\"ok\\":false,\\"kind\\":\\"unknown_tool\\",\\"message\\":\\"no tool %s\\"}", id);
  }
  return out;
}

static const char* plugin_handle_route(osr_plugin_ctx_t ctx, const char* request_json) {
  (void)ctx;
  if (strstr(request_json, "\\"route_id\\":\\"health\\"")) {
    return strdup("{\\"status\\":200,\\"headers\\":{\\"content-type\\":\\"application/json\\"},\\"body\\":\\"{\\\\\\"status\\\\\\":\\\\\\"ok\\\\\\"}\\"}");
  }
  return strdup("{\\"status\\":404,\\"body\\":\\"not found\\"}");
}

static const osr_plugin_api api = {
    .free_string = plugin_free_string,
    .init = plugin_init,
    .destroy = plugin_destroy,
    .get_manifest = plugin_get_manifest,
    .invoke = plugin_invoke,
    .version = OSR_ABI_VERSION_6,
    .handle_route = plugin_handle_route,
};

const osr_plugin_api* osaurus_plugin_entry_v2(const osr_host_api* host_api) {
  host = host_api;
  return &api;
}
`;
}

function makefile(name: string): string {
  return `# Builds lib${name}.${extension} with the system C compiler; the ABI header is in include/.
CC ?= cc
UNAME := $(shell uname)
EXT := $(if $(filter Darwin,$(UNAME)),dylib,so)
LIBRARY := build/lib${name}.$(EXT)

all: $(LIBRARY)

# The manifest lives once, in osaurus-plugin.json; this makes it a C string literal for get_manifest.
build/manifest.inc: osaurus-plugin.json
\tmkdir -p build
\tsed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g' -e 's/^/"/' -e 's/$$/\\\\n"/' osaurus-plugin.json > $@

# Written to a new file and renamed into place, so a host that has the library loaded keeps its copy intact.
$(LIBRARY): src/plugin.c include/osaurus_plugin.h build/manifest.inc
\t$(CC) -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -Iinclude -Ibuild src/plugin.c -o $@.tmp
\tmv -f $@.tmp $@

clean:
\trm -rf build

.PHONY: all clean
`;
}

/** Rust type of one C parameter or return type from abi-struct's slot table (`const char* key` → `*const c_char`). */
function rustType(c: string): string {
  const type = c.trim().replace(/\s*\b\w+$/, (name) => (c.trim() === name.trim() ? name : ''));
  if (type === 'const char*') return '*const c_char';
  if (type === 'void*') return '*mut c_void';
  if (type === 'int') return 'c_int';
  throw new LifecycleError('invalid_argument', `No Rust mapping for the C type "${c}".`);
}

function rustFunction(signature: string): string {
  const match = /^(.*?)\s*\w+\((.*)\)$/.exec(signature)!;
  const returns = match[1]!.trim();
  const parameters = match[2]!.trim() === '' ? [] : match[2]!.split(',').map((parameter) => rustType(parameter));
  const result = returns === 'void' ? '' : ` -> ${rustType(returns)}`;
  return `Option<unsafe extern "C" fn(${parameters.join(', ')})${result}>`;
}

function rustLibrary(name: string): string {
  const hostFields = HOST_SLOTS.map((slot) => `    pub ${slot.name}: ${rustFunction(slot.signature)}, // v${slot.since}`).join('\n');
  const pluginFields = PLUGIN_FIELDS.map((field) =>
    field.signature === null ? `    pub ${field.name}: u32,` : `    pub ${field.name}: ${rustFunction(field.signature)},`,
  ).join('\n');
  const hostOffsets = ['version', ...HOST_SLOTS.map((slot) => slot.name)]
    .map((field) => `        ("${field}", offset_of!(OsrHostApi, ${field}), ${hostSlotOffset(field as never)}),`)
    .join('\n');
  const pluginOffsets = PLUGIN_FIELDS.map((field) => `        ("${field.name}", offset_of!(OsrPluginApi, ${field.name}), ${pluginFieldOffset(field.name)}),`).join('\n');
  return `//! ${name}: an Osaurus native plugin with no dependencies. One tool (hello) and one route (GET /health).
//! The two tables below are exact #[repr(C)] mirrors of osaurus_plugin.h; the layout test pins every offset.
#![allow(clippy::missing_safety_doc)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};

/// osr_host_api: the host's function table (ABI v${DEFAULT_HOST_ABI_LEVEL}, ${hostTableSize(DEFAULT_HOST_ABI_LEVEL)} bytes).
#[repr(C)]
pub struct OsrHostApi {
    pub version: u32,
${hostFields}
}

/// osr_plugin_api: the table this plugin hands to the host (72 bytes).
#[repr(C)]
pub struct OsrPluginApi {
${pluginFields}
}

/// The manifest lives once, in osaurus-plugin.json.
const MANIFEST: &str = include_str!("../osaurus-plugin.json");

fn owned(text: String) -> *const c_char {
    CString::new(text).map(|s| s.into_raw() as *const c_char).unwrap_or(std::ptr::null())
}

unsafe fn text<'a>(pointer: *const c_char) -> &'a str {
    if pointer.is_null() { "" } else { CStr::from_ptr(pointer).to_str().unwrap_or("") }
}

/// Reads "name":"..." from a flat JSON object.
fn read_name(payload: &str) -> String {
    payload
        .split("\\"name\\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .filter(|name| !name.is_empty() && !name.contains('\\\\'))
        .unwrap_or("world")
        .to_string()
}

unsafe extern "C" fn free_string(s: *const c_char) {
    if !s.is_null() {
        drop(CString::from_raw(s as *mut c_char));
    }
}

unsafe extern "C" fn init() -> *mut c_void {
    Box::into_raw(Box::new(0u8)) as *mut c_void
}

unsafe extern "C" fn destroy(ctx: *mut c_void) {
    if !ctx.is_null() {
        drop(Box::from_raw(ctx as *mut u8));
    }
}

unsafe extern "C" fn get_manifest(_ctx: *mut c_void) -> *const c_char {
    owned(MANIFEST.to_string())
}

unsafe extern "C" fn invoke(_ctx: *mut c_void, kind: *const c_char, id: *const c_char, payload: *const c_char) -> *const c_char {
    if text(kind) == "tool" && text(id) == "hello" {
        owned(format!("{{\\"ok\\":true,\\"result\\":{{\\"greeting\\":\\"Hello, {}!\\"}}}}", read_name(text(payload))))
    } else {
        owned(format!("{{\\"ok\\":false,\\"kind\\":\\"unknown_tool\\",\\"message\\":\\"no tool {}\\"}}", text(id)))
    }
}

unsafe extern "C" fn handle_route(_ctx: *mut c_void, request: *const c_char) -> *const c_char {
    if text(request).contains("\\"route_id\\":\\"health\\"") {
        owned(r#"{"status":200,"headers":{"content-type":"application/json"},"body":"{\\"status\\":\\"ok\\"}"}"#.to_string())
    } else {
        owned(r#"{"status":404,"body":"not found"}"#.to_string())
    }
}

static API: OsrPluginApi = OsrPluginApi {
    free_string: Some(free_string),
    init: Some(init),
    destroy: Some(destroy),
    get_manifest: Some(get_manifest),
    invoke: Some(invoke),
    version: 6,
    handle_route: Some(handle_route),
    on_config_changed: None,
    on_task_event: None,
};

#[no_mangle]
pub unsafe extern "C" fn osaurus_plugin_entry_v2(_host: *const OsrHostApi) -> *const OsrPluginApi {
    &API
}

#[cfg(test)]
mod layout {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn tables_match_the_c_header() {
        let host: [(&str, usize, usize); ${HOST_SLOTS.length + 1}] = [
${hostOffsets}
        ];
        let plugin: [(&str, usize, usize); ${PLUGIN_FIELDS.length}] = [
${pluginOffsets}
        ];
        for (table, rows) in [("host", &host[..]), ("plugin", &plugin[..])] {
            for (field, actual, expected) in rows {
                println!("layout {table}.{field} {actual}");
                assert_eq!(actual, expected, "{table}.{field}");
            }
        }
        println!("layout host.size {}", size_of::<OsrHostApi>());
        println!("layout plugin.size {}", size_of::<OsrPluginApi>());
        assert_eq!(size_of::<OsrHostApi>(), ${hostTableSize(DEFAULT_HOST_ABI_LEVEL)});
        assert_eq!(size_of::<OsrPluginApi>(), 72);
    }
}
`;
}

function cargoToml(name: string): string {
  return `[package]
name = "${name}"
version = "0.1.0"
edition = "2021"

# No dependencies: it builds offline.
[dependencies]

[lib]
crate-type = ["cdylib", "rlib"]

[profile.release]
panic = "abort"
`;
}

/**
 * \`tools create <name>\`: a plugin project that builds here with no downloads
 * (C with a Makefile and the ABI header, or a Rust crate with zero
 * dependencies and an exact mirror of both tables).
 */
export function createScaffold(name: string, options: ScaffoldOptions): Scaffold {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new LifecycleError('invalid_argument', `Plugin name "${name}" must start with a lower-case letter and use only a-z, 0-9, - and _ (it names the plugin, the library and the Rust crate).`);
  }
  // C symbols and Rust crate names take no hyphen: `my-plugin` builds libmy_plugin, its id stays dev.example.my-plugin.
  const libraryName = name.replaceAll('-', '_');
  const { directory, language } = options;
  if (existsSync(directory) && readdirSync(directory).length > 0) {
    throw new LifecycleError('invalid_argument', `${directory} is not empty; pick a new directory for the plugin.`);
  }
  const pluginId = `dev.example.${name}`;
  const files: Record<string, string> = {
    'osaurus-plugin.json': `${JSON.stringify(JSON.parse(manifestFor(pluginId, name)), null, 2)}\n`,
    '.gitignore': language === 'c' ? 'build/\n' : 'target/\n',
  };
  let build: string[];
  let library: string;
  if (language === 'c') {
    build = ['make'];
    library = `build/lib${libraryName}.${extension}`;
    files['Makefile'] = makefile(libraryName);
    files['src/plugin.c'] = cPlugin(name);
  } else {
    build = ['cargo', 'build', '--release', '--offline'];
    library = `target/release/lib${libraryName}.${extension}`;
    files['Cargo.toml'] = cargoToml(libraryName);
    files['src/lib.rs'] = rustLibrary(name);
  }
  files['README.md'] = readme(name, pluginId, build.join(' '), library);
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(join(directory, relative, '..'), { recursive: true });
    writeFileSync(join(directory, relative), content);
  }
  const written = Object.keys(files);
  if (language === 'c') {
    mkdirSync(join(directory, 'include'), { recursive: true });
    copyFileSync(pluginHeaderPath(), join(directory, 'include', 'osaurus_plugin.h'));
    written.push('include/osaurus_plugin.h');
  }
  return { directory, pluginId, files: written.sort(), build, library };
}
