/*
 * osaurus_plugin.h - the Osaurus native-plugin C ABI, as served by osr-host.
 *
 * @generated from @osr-host/abi's descriptors by @osr-host/abi-struct's
 * src/native-header.ts. Do not edit: change the descriptors, then run
 * `npm run generate:native -w @osr-host/abi-struct`.
 *
 * Type, field and macro names match the upstream Osaurus header, so a plugin
 * written against upstream compiles unchanged against this one.
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

/* What complete_stream calls with each chunk, on the thread that called complete_stream. */
typedef void (*osr_on_chunk_fn)(const char* chunk_json, void* user_data);

/*
 * config_get (v2). Reads one of the plugin's config values (secrets included) for the calling
 * frame's agent. A key the agent has no value for falls back to the plugin-wide value, stored under
 * the built-in Default agent (D9).
 *
 * key: The config key, as declared in the manifest or written with config_set.
 */
typedef const char* (*osr_config_get_fn)(const char* key);

/*
 * config_set (v2). Stores a config value for the calling frame's agent. `""` is a value, distinct
 * from deleting the key.
 *
 * key: The config key.
 * value: The new value (any text).
 */
typedef void (*osr_config_set_fn)(const char* key, const char* value);

/*
 * config_delete (v2). Deletes the calling agent's value for a key. The plugin-wide value (under the
 * Default agent) stays, so config_get may then answer that value.
 *
 * key: The config key.
 */
typedef void (*osr_config_delete_fn)(const char* key);

/*
 * db_exec (v2). Runs one SQL statement on the plugin's own SQLite database,
 * `<home>/Tools/<plugin_id>/data/data.db`, opened on first use (WAL, foreign keys on). A statement
 * that returns rows is stepped once.
 *
 * sql: Exactly one SQL statement. A trailing second statement is `invalid_request` and nothing runs
 *   (D11, P31).
 * params_json: Parameters: a JSON array (element i binds `?i`, or the i-th bare `?`; the two styles
 *   cannot be mixed), a JSON object (named; keys may be `:x`, `@x`, `$x` or bare `x`), or NULL /
 *   blank for none.
 */
typedef const char* (*osr_db_exec_fn)(const char* sql, const char* params_json);

/*
 * db_query (v2). Runs one SQL statement and answers its columns and rows. Rows are positional
 * arrays (D10). A statement that returns no rows runs and answers empty lists.
 *
 * sql: Exactly one SQL statement (D11, P31).
 * params_json: Parameters, as for db_exec; NULL or blank for none.
 */
typedef const char* (*osr_db_query_fn)(const char* sql, const char* params_json);

/*
 * log (v2). Writes a line to the host's console (stderr) as `[Plugin:<plugin_id>] [<LEVEL>]
 * <message>` and records it in Insights with method `LOG`.
 *
 * level: Severity; names and Insights statuses are in the table under Logging levels. Any other
 *   number logs as `LOG`. Levels: 0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR.
 * message: The text to log.
 */
typedef void (*osr_log_fn)(int level, const char* message);

/*
 * dispatch (v2). Starts a background agent task for the calling frame's agent and answers at once.
 * The task runs the prompt as a chat session, in rounds of the host's tool loop, and reports
 * through on_task_event.
 *
 * request_json: The task request (below).
 */
typedef const char* (*osr_dispatch_fn)(const char* request_json);

/*
 * task_status (v2). Answers the state of one of the plugin's own tasks. Task ids are matched in any
 * letter case.
 *
 * task_id: The id dispatch answered.
 */
typedef const char* (*osr_task_status_fn)(const char* task_id);

/*
 * dispatch_cancel (v2). Cancels one of the plugin's active tasks: the task becomes cancelled,
 * CANCELLED is emitted at once and the round in flight is stopped.
 *
 * task_id: The task to cancel.
 */
typedef void (*osr_dispatch_cancel_fn)(const char* task_id);

/*
 * dispatch_clarify (v2). Reserved. It has no effect: a task's clarification is answered by the
 * operator (`osr-host tasks answer`). The call is recorded in Insights with status 410.
 *
 * task_id: Ignored.
 * response: Ignored.
 */
typedef void (*osr_dispatch_clarify_fn)(const char* task_id, const char* response);

/*
 * complete (v2). Runs an OpenAI-style chat completion against the configured model servers and
 * answers the assembled `chat.completion`. With tools, the host runs its tool loop: it executes the
 * calls it can and asks the model again, up to `max_iterations` model calls.
 *
 * request_json: An OpenAI chat-completions request with the host extensions below.
 */
typedef const char* (*osr_complete_fn)(const char* request_json);

/*
 * complete_stream (v2). Runs the same chat completion as complete, calling `on_chunk` for every
 * delta as it arrives, and answers the aggregate once the run ends.
 *
 * request_json: As for complete, plus `stream_id`: a non-blank string (UUID recommended) that
 *   complete_cancel can stop.
 * on_chunk: `void on_chunk(const char* chunk_json, void* user_data)`, called on the calling thread,
 *   synchronously, before the next delta. `chunk_json` is valid only during the call.
 * user_data: Passed back to `on_chunk` unchanged; the host never reads it.
 */
typedef const char* (*osr_complete_stream_fn)(const char* request_json, osr_on_chunk_fn on_chunk, void* user_data);

/*
 * embed (v2). Computes embeddings with a configured embedding model.
 *
 * request_json: `{"model"?: string, "input": string | [string, …]}`; `input` must be a string or a
 *   non-empty array of strings.
 */
typedef const char* (*osr_embed_fn)(const char* request_json);

/*
 * list_models (v2). Lists the models of every configured provider: chat models (from the provider's
 * configured list, else its `GET /models`) and its configured embedding models.
 */
typedef const char* (*osr_list_models_fn)(void);

/*
 * http_request (v2). Performs one outbound HTTP(S) exchange for the plugin, behind an SSRF guard
 * and a per-(plugin, agent) rate limit.
 *
 * request_json: The request (below).
 */
typedef const char* (*osr_http_request_fn)(const char* request_json);

/*
 * file_read (v2). Reads a file from the host's artifacts directory, `<home>/artifacts/`, and
 * answers it base64-encoded.
 *
 * request_json: `{"path": "<absolute path>"}`.
 */
typedef const char* (*osr_file_read_fn)(const char* request_json);

/*
 * list_active_tasks (v2). Lists the plugin's tasks that are queued, running or awaiting a
 * clarification, each as task_status describes it.
 */
typedef const char* (*osr_list_active_tasks_fn)(void);

/*
 * send_draft (v2). Stores a draft on one of the plugin's active tasks and emits DRAFT. The text is
 * stored as given; when it is a JSON object, task_status and the event carry it parsed as `draft`.
 *
 * task_id: An active task of this plugin.
 * draft_json: The draft. By convention `{"text": …, "parse_mode"?: …}`; the host does not validate
 *   it.
 */
typedef void (*osr_send_draft_fn)(const char* task_id, const char* draft_json);

/*
 * dispatch_interrupt (v2). Stops one of the plugin's active tasks early and completes it
 * (COMPLETED, summary "Chat completed"). A non-blank message (trimmed) is added to the task's chat
 * session as a user turn, for the next dispatch with the same `session_id`.
 *
 * task_id: An active task of this plugin.
 * message: Optional text for the session; NULL or blank adds nothing.
 */
typedef void (*osr_dispatch_interrupt_fn)(const char* task_id, const char* message);

/*
 * dispatch_add_issue (v2). Reserved. Always answers `not_supported` and does nothing; recorded in
 * Insights with status 501.
 *
 * task_id: Ignored.
 * issue_json: Ignored.
 */
typedef const char* (*osr_dispatch_add_issue_fn)(const char* task_id, const char* issue_json);

/*
 * complete_cancel (v3). Cancels the plugin's streams registered under `stream_id`: the upstream
 * request is dropped at once, the stream ends with a `cancelled` terminator chunk and
 * complete_stream answers the `cancelled` envelope.
 *
 * stream_id: The `stream_id` of a complete_stream request; surrounding whitespace is trimmed.
 */
typedef void (*osr_complete_cancel_fn)(const char* stream_id);

/*
 * get_active_agent_id (v4). Answers the calling frame's agent id as plain text (an upper-case UUID,
 * not JSON), or NULL when the frame has no agent. The Default agent's id is answered as it is, not
 * filtered.
 */
typedef const char* (*osr_get_active_agent_id_fn)(void);

/*
 * log_structured (v5). Logs like log, with a payload: the console line is the message followed by
 * the payload, and Insights stores the payload as the request body.
 *
 * level: Severity, as for log. Levels: 0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR.
 * message: The text to log.
 * payload: Any text; JSON by convention, but it is not parsed or validated. NULL logs the message
 *   alone.
 */
typedef void (*osr_log_structured_fn)(int level, const char* message, const char* payload);

/*
 * free_string (v6). Releases a string the host returned. It is the C library's `free()`, served by
 * the native bridge directly, without a round trip to JavaScript.
 *
 * s: A string a host slot returned, or NULL.
 */
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
typedef const char* (*osr_invoke_fn)(osr_plugin_ctx_t ctx, const char* type, const char* id, const char* payload);
typedef const char* (*osr_handle_route_fn)(osr_plugin_ctx_t ctx, const char* request_json);
typedef void (*osr_on_config_changed_fn)(osr_plugin_ctx_t ctx, const char* key, const char* value);
typedef void (*osr_on_task_event_fn)(osr_plugin_ctx_t ctx, const char* task_id, int event_type, const char* event_json);

/* The legacy v1 table: exactly these 5 pointers (40 bytes). */
typedef struct osr_plugin_api_v1 {
  osr_free_string_fn free_string;
  osr_init_fn init;
  osr_destroy_fn destroy;
  osr_get_manifest_fn get_manifest;
  osr_invoke_fn invoke;
} osr_plugin_api_v1;

typedef struct osr_plugin_api {
  osr_free_string_fn free_string;             /* required */
  osr_init_fn init;                           /* required */
  osr_destroy_fn destroy;                     /* required */
  osr_get_manifest_fn get_manifest;           /* required */
  osr_invoke_fn invoke;                       /* required */
  uint32_t version;                           /* the plugin's ABI version; 0 is read as 2 through the v2 entry */
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
