/*
 * hello - a small native plugin for the Osaurus plugin ABI (v6).
 *
 * Tools:
 *   greet   {"name": "..."}  -> a greeting; logs through the host
 *   count   {}               -> how many times count ran, persisted in the plugin's SQLite database
 *   whoami  {}               -> the agent the call runs under
 *   remind  {"prompt": "..."} -> starts a background agent task (host->dispatch) and returns its id
 *
 * Build: make            Install into a host home: make install HOME_DIR=/path/to/home
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osaurus_plugin.h"

static const osr_host_api* host = NULL;

static void release(const char* s) {
  if (host->version >= 6 && host->free_string) host->free_string(s);
  else free((void*)s);
}

static char* envelope(const char* result_json) {
  size_t size = strlen(result_json) + 32;
  char* out = malloc(size);
  snprintf(out, size, "{\"ok\":true,\"result\":%s}", result_json);
  return out;
}

static char* failure(const char* message) {
  size_t size = strlen(message) + 80;
  char* out = malloc(size);
  snprintf(out, size, "{\"ok\":false,\"kind\":\"execution_error\",\"message\":\"%s\"}", message);
  return out;
}

/* Reads "name":"..." from a flat JSON object; good enough for an example. */
static void read_name(const char* payload, char* name, size_t size) {
  snprintf(name, size, "world");
  const char* key = payload ? strstr(payload, "\"name\"") : NULL;
  if (!key) return;
  const char* open = strchr(key + 6, '"');
  if (!open) return;
  size_t length = strcspn(open + 1, "\"\\");
  if (length > 0 && length < size) snprintf(name, size, "%.*s", (int)length, open + 1);
}

static char* greet(const char* payload) {
  char name[128], message[256], result[300];
  read_name(payload, name, sizeof name);
  snprintf(message, sizeof message, "greeting %s", name);
  host->log(2, message);
  snprintf(result, sizeof result, "{\"greeting\":\"Hello, %s!\"}", name);
  return envelope(result);
}

static char* count(void) {
  const char* created = host->db_exec("CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, at TEXT)", NULL);
  release(created);
  const char* inserted = host->db_exec("INSERT INTO runs (at) VALUES (datetime('now'))", NULL);
  release(inserted);
  const char* rows = host->db_query("SELECT COUNT(*) AS runs FROM runs", NULL);
  if (!rows) return failure("the host has no storage");
  char* out = envelope(rows);
  release(rows);
  return out;
}

static char* whoami(void) {
  const char* agent = host->version >= 4 && host->get_active_agent_id ? host->get_active_agent_id() : NULL;
  char result[128];
  snprintf(result, sizeof result, agent ? "{\"agent_id\":\"%s\"}" : "{\"agent_id\":null}", agent);
  if (agent) release(agent);
  return envelope(result);
}

/* The tool's arguments are a dispatch request as they stand: {"prompt", "title"?, ...}. */
static char* remind(const char* payload) {
  const char* started = host->dispatch(payload && *payload ? payload : "{}");
  if (!started) return failure("the host did not answer the dispatch");
  char* out = envelope(started);
  release(started);
  return out;
}

static void plugin_free_string(const char* s) { free((void*)s); }

static osr_plugin_ctx_t plugin_init(void) {
  static int ctx;
  return &ctx;
}

static void plugin_destroy(osr_plugin_ctx_t ctx) { (void)ctx; }

static const char* plugin_get_manifest(osr_plugin_ctx_t ctx) {
  (void)ctx;
  return strdup(
      "{\"plugin_id\":\"dev.osr.hello\",\"name\":\"Hello\",\"version\":\"1.0.0\","
      "\"description\":\"A small example plugin: greetings, a persistent counter and the calling agent.\","
      "\"capabilities\":{\"tools\":["
      "{\"id\":\"greet\",\"description\":\"Greet someone by name\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}},"
      "{\"id\":\"count\",\"description\":\"Count how many times this tool ran, across restarts\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
      "{\"id\":\"whoami\",\"description\":\"Report the agent this call runs under\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{}}},"
      "{\"id\":\"remind\",\"description\":\"Hand a job to a background agent task\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"},"
      "\"title\":{\"type\":\"string\"}},\"required\":[\"prompt\"]}}]}}");
}

static const char* plugin_invoke(osr_plugin_ctx_t ctx, const char* type, const char* id, const char* payload) {
  (void)ctx;
  if (strcmp(type, "tool") != 0) return failure("only tools are supported");
  if (strcmp(id, "greet") == 0) return greet(payload);
  if (strcmp(id, "count") == 0) return count();
  if (strcmp(id, "whoami") == 0) return whoami();
  if (strcmp(id, "remind") == 0) return remind(payload);
  return failure("unknown tool");
}

static osr_plugin_api api = {
    .free_string = plugin_free_string,
    .init = plugin_init,
    .destroy = plugin_destroy,
    .get_manifest = plugin_get_manifest,
    .invoke = plugin_invoke,
    .version = OSR_ABI_VERSION_6,
};

const osr_plugin_api* osaurus_plugin_entry_v2(const osr_host_api* h) {
  host = h;
  return &api;
}
