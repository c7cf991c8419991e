/*
 * osaurus_plugin.h - the Osaurus native-plugin C ABI, as served by osr-host.
 *
 * Written for the osr-host project. Type, field and macro names match the
 * upstream Osaurus header, so a plugin written against upstream compiles
 * unchanged against this one.
 *
 * The ABI is frozen: osr_host_api only ever grows by appending slots. A plugin
 * must check `host->version >= N && host->slot != NULL` before calling a slot
 * added in version N.
 *
 * MEMORY OWNERSHIP
 *   - Every `const char*` a host callback returns is allocated with malloc.
 *     The plugin owns it and releases it with host->free_string (v6) or free().
 *   - Every `const char*` the plugin returns from get_manifest, invoke or
 *     handle_route is copied by the host, then released once with the
 *     plugin's own osr_plugin_api.free_string.
 *   - Arguments passed into plugin callbacks are valid only during the call.
 *   - Arguments the plugin passes to host callbacks are copied by the host.
 */
#ifndef OSAURUS_PLUGIN_H
#define OSAURUS_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OSR_ABI_VERSION_1 1
#define OSR_ABI_VERSION_2 2
#define OSR_ABI_VERSION_3 3
#define OSR_ABI_VERSION_4 4
#define OSR_ABI_VERSION_5 5
#define OSR_ABI_VERSION_6 6

/* event_type values passed to on_task_event. */
#define OSR_TASK_EVENT_STARTED 0
#define OSR_TASK_EVENT_ACTIVITY 1
#define OSR_TASK_EVENT_PROGRESS 2
#define OSR_TASK_EVENT_CLARIFICATION 3
#define OSR_TASK_EVENT_COMPLETED 4
#define OSR_TASK_EVENT_FAILED 5
#define OSR_TASK_EVENT_CANCELLED 6
#define OSR_TASK_EVENT_OUTPUT 7
#define OSR_TASK_EVENT_DRAFT 8

/* The config key of the load-time ABI probe; plugins may ignore it. */
#define OSR_ABI_PROBE_KEY "__osaurus_abi_probe__"

typedef void* osr_plugin_ctx_t;

/* ---- Host API (host -> plugin) ---------------------------------------- */

/* Config store, scoped (plugin, agent, key). */
typedef const char* (*osr_config_get_fn)(const char* key);
typedef void (*osr_config_set_fn)(const char* key, const char* value);
typedef void (*osr_config_delete_fn)(const char* key);

/* Per-plugin SQLite. */
typedef const char* (*osr_db_exec_fn)(const char* sql, const char* params_json);
typedef const char* (*osr_db_query_fn)(const char* sql, const char* params_json);

/* Logging: level 0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR. */
typedef void (*osr_log_fn)(int level, const char* message);

/* Background agent dispatch. */
typedef const char* (*osr_dispatch_fn)(const char* request_json);
typedef const char* (*osr_task_status_fn)(const char* task_id);
typedef void (*osr_dispatch_cancel_fn)(const char* task_id);
/* Reserved: has no effect. */
typedef void (*osr_dispatch_clarify_fn)(const char* task_id, const char* response);

/* Inference. */
typedef void (*osr_on_chunk_fn)(const char* chunk_json, void* user_data);
typedef const char* (*osr_complete_fn)(const char* request_json);
typedef const char* (*osr_complete_stream_fn)(const char* request_json, osr_on_chunk_fn on_chunk,
                                              void* user_data);
typedef const char* (*osr_embed_fn)(const char* request_json);
typedef const char* (*osr_list_models_fn)(void);

/* Outbound HTTP and artifact reads. */
typedef const char* (*osr_http_request_fn)(const char* request_json);
typedef const char* (*osr_file_read_fn)(const char* request_json);

/* Extended agent dispatch (added in v2). */
typedef const char* (*osr_list_active_tasks_fn)(void);
typedef void (*osr_send_draft_fn)(const char* task_id, const char* draft_json);
typedef void (*osr_dispatch_interrupt_fn)(const char* task_id, const char* message);
/* Reserved: returns a not_supported envelope. */
typedef const char* (*osr_dispatch_add_issue_fn)(const char* task_id, const char* issue_json);

/* v3 */
typedef void (*osr_complete_cancel_fn)(const char* stream_id);
/* v4 */
typedef const char* (*osr_get_active_agent_id_fn)(void);
/* v5 */
typedef void (*osr_log_structured_fn)(int level, const char* message, const char* payload);
/* v6 */
typedef void (*osr_host_free_string_fn)(const char* s);

typedef struct osr_host_api {
  uint32_t version;

  osr_config_get_fn config_get;
  osr_config_set_fn config_set;
  osr_config_delete_fn config_delete;

  osr_db_exec_fn db_exec;
  osr_db_query_fn db_query;

  osr_log_fn log;

  osr_dispatch_fn dispatch;
  osr_task_status_fn task_status;
  osr_dispatch_cancel_fn dispatch_cancel;
  osr_dispatch_clarify_fn dispatch_clarify;

  osr_complete_fn complete;
  osr_complete_stream_fn complete_stream;
  osr_embed_fn embed;
  osr_list_models_fn list_models;

  osr_http_request_fn http_request;
  osr_file_read_fn file_read;

  osr_list_active_tasks_fn list_active_tasks;
  osr_send_draft_fn send_draft;
  osr_dispatch_interrupt_fn dispatch_interrupt;
  osr_dispatch_add_issue_fn dispatch_add_issue;

  osr_complete_cancel_fn complete_cancel;         /* v3 */
  osr_get_active_agent_id_fn get_active_agent_id; /* v4 */
  osr_log_structured_fn log_structured;           /* v5 */
  osr_host_free_string_fn free_string;            /* v6 */
} osr_host_api;

/* ---- Plugin API (plugin -> host) -------------------------------------- */

typedef void (*osr_free_string_fn)(const char* s);
typedef osr_plugin_ctx_t (*osr_init_fn)(void);
typedef void (*osr_destroy_fn)(osr_plugin_ctx_t ctx);
typedef const char* (*osr_get_manifest_fn)(osr_plugin_ctx_t ctx);
typedef const char* (*osr_invoke_fn)(osr_plugin_ctx_t ctx, const char* type, const char* id,
                                     const char* payload);
typedef const char* (*osr_handle_route_fn)(osr_plugin_ctx_t ctx, const char* request_json);
typedef void (*osr_on_config_changed_fn)(osr_plugin_ctx_t ctx, const char* key, const char* value);
typedef void (*osr_on_task_event_fn)(osr_plugin_ctx_t ctx, const char* task_id, int event_type,
                                     const char* event_json);

/* The legacy v1 table: exactly these five pointers (40 bytes). */
typedef struct osr_plugin_api_v1 {
  osr_free_string_fn free_string;
  osr_init_fn init;
  osr_destroy_fn destroy;
  osr_get_manifest_fn get_manifest;
  osr_invoke_fn invoke;
} osr_plugin_api_v1;

typedef struct osr_plugin_api {
  osr_free_string_fn free_string; /* required */
  osr_init_fn init;               /* required */
  osr_destroy_fn destroy;         /* required */
  osr_get_manifest_fn get_manifest; /* required */
  osr_invoke_fn invoke;           /* required */

  uint32_t version; /* the plugin's ABI version; 0 is read as 2 through the v2 entry */

  osr_handle_route_fn handle_route;           /* optional */
  osr_on_config_changed_fn on_config_changed; /* optional */
  osr_on_task_event_fn on_task_event;         /* optional */
} osr_plugin_api;

/* ---- Entry points (export one; v2 wins when both exist) ---------------- */

const osr_plugin_api* osaurus_plugin_entry(void);
const osr_plugin_api* osaurus_plugin_entry_v2(const osr_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* OSAURUS_PLUGIN_H */
