/*
 * @generated from HOST_SLOTS (src/layout.ts) and the bridge descriptors (src/bridge.ts)
 * by src/native-header.ts. Do not edit: change the descriptors, then run
 * `npm run generate:native -w @osr-host/abi-struct`.
 */
#ifndef OSR_SLOTS_GENERATED_H
#define OSR_SLOTS_GENERATED_H

#include <stdint.h>

enum osrb_event_kind {
  OSRB_HOST_CALL = 1,
  OSRB_CALL_DONE = 2,
  OSRB_CHUNK_DONE = 3,
  OSRB_HOST_CALL_ANSWERED = 4,
  OSRB_FRAME_OPENED = 5,
  OSRB_FRAME_CLOSED = 6,
};

enum osrb_call_kind {
  OSRB_LOAD = 1,
  OSRB_ENTRY_V2 = 2,
  OSRB_ENTRY_V1 = 3,
  OSRB_INIT = 4,
  OSRB_DESTROY = 5,
  OSRB_GET_MANIFEST = 6,
  OSRB_INVOKE = 7,
  OSRB_HANDLE_ROUTE = 8,
  OSRB_CONFIG_CHANGED = 9,
  OSRB_TASK_EVENT = 10,
};

/* Per host-table index: bit i set when argument i is JSON text, whose nesting depth the host bounds. */
static const unsigned char OSRB_JSON_ARGS[25] = {0, 0, 0, 0, 2, 2, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 2, 0, 2, 0, 0, 2, 0};

typedef struct osrb_event {
  int32_t kind;
  int32_t plugin;
  int32_t slot;
  int32_t int_arg;
  uint64_t call_id;
  uint64_t frame_id;
  void* request;
  void* arg0;
  void* arg1;
  void* arg2;
  void* on_chunk;
  void* pointer_result;
  void* text;
  uint64_t text_len;
  int32_t has_text;
  int32_t failed;
  uint64_t arg_bytes[3];
  int32_t arg_depth[3];
  uint64_t started_ns;
  uint64_t duration_ns;
} osrb_event;

/* Entries of one host table: version, then one per slot. */
#define OSRB_SLOT_COUNT 25

/* One trampoline per host slot for plugin slot P, named with suffix N. */
#define OSRB_DEFINE_TRAMPOLINES(N, P) \
  static const char* osrb_config_get_##N(const char* key) { return answer_from_config_cache(P, 1, 0, key, NULL, NULL, NULL, NULL); } \
  static void osrb_config_set_##N(const char* key, const char* value) { free(host_call(P, 2, 0, key, value, NULL, NULL, NULL)); } \
  static void osrb_config_delete_##N(const char* key) { free(host_call(P, 3, 0, key, NULL, NULL, NULL, NULL)); } \
  static const char* osrb_db_exec_##N(const char* sql, const char* params_json) { return serve_on_server(P, 4, 0, sql, params_json, NULL, NULL, NULL); } \
  static const char* osrb_db_query_##N(const char* sql, const char* params_json) { return serve_on_server(P, 5, 0, sql, params_json, NULL, NULL, NULL); } \
  static void osrb_log_##N(int level, const char* message) { free(queue_host_call(P, 6, level, message, NULL, NULL, NULL, NULL)); } \
  static const char* osrb_dispatch_##N(const char* request_json) { return host_call(P, 7, 0, request_json, NULL, NULL, NULL, NULL); } \
  static const char* osrb_task_status_##N(const char* task_id) { return host_call(P, 8, 0, task_id, NULL, NULL, NULL, NULL); } \
  static void osrb_dispatch_cancel_##N(const char* task_id) { free(host_call(P, 9, 0, task_id, NULL, NULL, NULL, NULL)); } \
  static void osrb_dispatch_clarify_##N(const char* task_id, const char* response) { free(host_call(P, 10, 0, task_id, response, NULL, NULL, NULL)); } \
  static const char* osrb_complete_##N(const char* request_json) { return host_call(P, 11, 0, request_json, NULL, NULL, NULL, NULL); } \
  static const char* osrb_complete_stream_##N(const char* request_json, void* on_chunk, void* user_data) { return host_call(P, 12, 0, request_json, NULL, NULL, (osr_on_chunk_fn)on_chunk, user_data); } \
  static const char* osrb_embed_##N(const char* request_json) { return host_call(P, 13, 0, request_json, NULL, NULL, NULL, NULL); } \
  static const char* osrb_list_models_##N(void) { return host_call(P, 14, 0, NULL, NULL, NULL, NULL, NULL); } \
  static const char* osrb_http_request_##N(const char* request_json) { return host_call(P, 15, 0, request_json, NULL, NULL, NULL, NULL); } \
  static const char* osrb_file_read_##N(const char* request_json) { return serve_on_server(P, 16, 0, request_json, NULL, NULL, NULL, NULL); } \
  static const char* osrb_list_active_tasks_##N(void) { return host_call(P, 17, 0, NULL, NULL, NULL, NULL, NULL); } \
  static void osrb_send_draft_##N(const char* task_id, const char* draft_json) { free(host_call(P, 18, 0, task_id, draft_json, NULL, NULL, NULL)); } \
  static void osrb_dispatch_interrupt_##N(const char* task_id, const char* message) { free(host_call(P, 19, 0, task_id, message, NULL, NULL, NULL)); } \
  static const char* osrb_dispatch_add_issue_##N(const char* task_id, const char* issue_json) { return host_call(P, 20, 0, task_id, issue_json, NULL, NULL, NULL); } \
  static void osrb_complete_cancel_##N(const char* stream_id) { free(host_call(P, 21, 0, stream_id, NULL, NULL, NULL, NULL)); } \
  static const char* osrb_get_active_agent_id_##N(void) { return answer_from_frame(P, 22, 0, NULL, NULL, NULL, NULL, NULL); } \
  static void osrb_log_structured_##N(int level, const char* message, const char* payload) { free(queue_host_call(P, 23, level, message, payload, NULL, NULL, NULL)); } \

/* Plugin slot N's row of the trampoline table, in host-table order (index 0 is the version). */
#define OSRB_TRAMPOLINE_ROW(N) \
  {NULL, (void*)osrb_config_get_##N, (void*)osrb_config_set_##N, (void*)osrb_config_delete_##N, (void*)osrb_db_exec_##N, (void*)osrb_db_query_##N, (void*)osrb_log_##N, (void*)osrb_dispatch_##N, (void*)osrb_task_status_##N, (void*)osrb_dispatch_cancel_##N, (void*)osrb_dispatch_clarify_##N, (void*)osrb_complete_##N, (void*)osrb_complete_stream_##N, (void*)osrb_embed_##N, (void*)osrb_list_models_##N, (void*)osrb_http_request_##N, (void*)osrb_file_read_##N, (void*)osrb_list_active_tasks_##N, (void*)osrb_send_draft_##N, (void*)osrb_dispatch_interrupt_##N, (void*)osrb_dispatch_add_issue_##N, (void*)osrb_complete_cancel_##N, (void*)osrb_get_active_agent_id_##N, (void*)osrb_log_structured_##N, (void*)osrb_free_string},

#endif
