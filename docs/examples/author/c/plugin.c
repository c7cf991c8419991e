/*
 * notes: an Osaurus native plugin that keeps short notes in its own SQLite database.
 *
 *   add_note   {"text": "..."}  saves a note; keeps the newest `max_notes` (a setting)
 *   list_notes {}               lists the notes, oldest first
 *
 * `make` builds build/libnotes.so, with osaurus-plugin.json embedded as its manifest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osaurus_plugin.h"

// #region host
/* The host's table: valid from the entry call until the plugin is unloaded. */
static const osr_host_api *host;

enum { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* A string a host call returned is ours: release it with the host's free_string
   (ABI 6), or with free() on an older host. */
static void release(const char *host_string) {
  if (host->version >= OSR_ABI_VERSION_6 && host->free_string != NULL) {
    host->free_string(host_string);
  } else {
    free((void *)host_string);
  }
}
// #endregion host

// #region strings
/* printf into a fresh malloc'd buffer: every string the plugin returns is made here. */
static char *format(const char *template, ...) {
  va_list args;
  va_start(args, template);
  int length = vsnprintf(NULL, 0, template, args);
  va_end(args);
  char *text = length < 0 ? NULL : malloc((size_t)length + 1);
  if (text == NULL) return NULL;
  va_start(args, template);
  vsnprintf(text, (size_t)length + 1, template, args);
  va_end(args);
  return text;
}

/* The host copies what get_manifest and invoke return, then hands the pointer back. */
static void plugin_free_string(const char *s) { free((void *)s); }
// #endregion strings

// #region answers
/*
 * The raw JSON text of "key":<value> in one of the host's small, flat answers, or NULL.
 * A string value keeps its quotes and escapes, so it can go into other JSON as it is.
 * A real plugin would use a JSON library.
 */
static char *json_member(const char *json, const char *key) {
  char *pattern = format("\"%s\":", key);
  const char *start = pattern ? strstr(json, pattern) : NULL;
  if (start != NULL) start += strlen(pattern);
  free(pattern);
  if (start == NULL) return NULL;
  const char *end = start;
  if (*end == '"') {
    for (end++; *end != '\0' && *end != '"'; end++) {
      if (*end == '\\' && end[1] != '\0') end++;
    }
    if (*end == '"') end++;
  } else {
    end += strcspn(end, ",}");
  }
  return format("%.*s", (int)(end - start), start);
}

/* A failed host call answers {"error":"<code>","message":"..."} ("error" sorts first). */
static int failed(const char *answer) {
  return answer == NULL || strncmp(answer, "{\"error\":", 9) == 0;
}
// #endregion answers

// #region envelopes
/* A tool answers {"ok":true,"result":...} or {"ok":false,"kind":...,"message":...}. */
static char *success(const char *result_json) {
  return format("{\"ok\":true,\"result\":%s}", result_json);
}

/* message_json is a JSON string, quotes included. */
static char *failure(const char *kind, const char *message_json) {
  return format("{\"ok\":false,\"kind\":\"%s\",\"message\":%s}", kind, message_json);
}

/* A failed host call becomes an execution_error carrying the host's own message. */
static char *host_failure(const char *answer) {
  char *message = answer ? json_member(answer, "message") : NULL;
  char *envelope = failure("execution_error", message ? message : "\"no answer\"");
  free(message);
  return envelope;
}
// #endregion envelopes

// #region add_note
static const char *create_table =
    "CREATE TABLE IF NOT EXISTS notes"
    " (id INTEGER PRIMARY KEY, text TEXT NOT NULL CHECK (text <> ''))";

/* The arguments go to SQLite as they are: json_extract reads them, C parses nothing. */
static char *add_note(const char *arguments) {
  const char *created = host->db_exec(create_table, NULL);
  if (failed(created)) {
    char *envelope = host_failure(created);
    release(created);
    return envelope;
  }
  release(created);

  /* `arguments` is the host's, valid during this call only. Bound by name, an object
     goes in as its JSON text; the host copies `params`, so it is freed right after. */
  char *params = format("{\"arguments\":%s}", arguments);
  const char *inserted = host->db_exec(
      "INSERT INTO notes (text) SELECT json_extract(:arguments, '$.text')"
      " WHERE json_extract(:arguments, '$.text') <> ''",
      params);
  free(params);
  if (failed(inserted)) {
    char *envelope = host_failure(inserted);
    release(inserted);
    return envelope;
  }
  char *changes = json_member(inserted, "changes");
  char *id = json_member(inserted, "last_insert_rowid");
  release(inserted);
  int saved = changes != NULL && strcmp(changes, "0") != 0;
  free(changes);
  if (!saved) {
    free(id);
    return failure("invalid_args", "\"add_note needs a non-empty text\"");
  }

  /* The operator's setting (osr-host config set ... max_notes 10); NULL when unset. */
  const char *max_notes = host->config_get("max_notes");
  long keep = max_notes ? strtol(max_notes, NULL, 10) : 0;
  release(max_notes);
  if (keep > 0) {
    char *limit = format("{\"keep\":%ld}", keep);
    release(host->db_exec("DELETE FROM notes WHERE id NOT IN"
                          " (SELECT id FROM notes ORDER BY id DESC LIMIT :keep)",
                          limit));
    free(limit);
  }

  /* The host copies the line, so it is freed right after the call. */
  char *line = format("saved note %s", id);
  host->log(LOG_INFO, line);
  free(line);

  char *result = format("{\"id\":%s}", id);
  char *envelope = success(result);
  free(result);
  free(id);
  return envelope;
}
// #endregion add_note

// #region list_notes
static char *list_notes(void) {
  release(host->db_exec(create_table, NULL));
  /* {"columns":["id","text"],"rows":[[1,"..."],...]} is JSON: it becomes the result. */
  const char *rows = host->db_query("SELECT id, text FROM notes ORDER BY id", NULL);
  char *envelope = failed(rows) ? host_failure(rows) : success(rows);
  release(rows);
  return envelope;
}
// #endregion list_notes

// #region manifest
/* osaurus-plugin.json, as a C string literal the Makefile writes. */
static const char manifest_json[] =
#include "manifest.inc"
    ;

static const char *plugin_get_manifest(osr_plugin_ctx_t ctx) {
  (void)ctx;
  /* A copy: the host frees what it gets with plugin_free_string. */
  return format("%s", manifest_json);
}
// #endregion manifest

// #region lifecycle
/* Notes live in the host's database and settings in its config: no state to set up. */
static osr_plugin_ctx_t plugin_init(void) {
  static int context;
  return &context; /* NULL would fail the load */
}

static void plugin_destroy(osr_plugin_ctx_t ctx) { (void)ctx; }

/* Tools may run at the same time, on the host's threads: they share no mutable state. */
static const char *plugin_invoke(osr_plugin_ctx_t ctx, const char *type, const char *id,
                                 const char *payload) {
  (void)ctx;
  if (strcmp(type, "tool") != 0) return failure("invalid_args", "\"tools only\"");
  if (strcmp(id, "add_note") == 0) return add_note(payload);
  if (strcmp(id, "list_notes") == 0) return list_notes();
  return failure("tool_not_found", "\"no such tool\"");
}
// #endregion lifecycle

// #region entry
static const osr_plugin_api plugin_api = {
    .free_string = plugin_free_string,
    .init = plugin_init,
    .destroy = plugin_destroy,
    .get_manifest = plugin_get_manifest,
    .invoke = plugin_invoke,
    .version = OSR_ABI_VERSION_6,
};

/* The one exported symbol. The host calls it once, before init. */
const osr_plugin_api *osaurus_plugin_entry_v2(const osr_host_api *host_api) {
  host = host_api;
  return &plugin_api;
}
// #endregion entry
