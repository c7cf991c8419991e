/*
 * The pack smoke test's plugin: built against the osaurus_plugin.h that ships in the
 * @osr-host/abi-struct tarball, so the header is proven usable on its own.
 * Tool `echo` logs through the host and answers {"ok":true,"result":<payload>}.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "osaurus_plugin.h"

static const osr_host_api* host = NULL;

static void plugin_free_string(const char* s) { free((void*)s); }

static osr_plugin_ctx_t plugin_init(void) {
  static int ctx;
  return &ctx;
}

static void plugin_destroy(osr_plugin_ctx_t ctx) { (void)ctx; }

static const char* plugin_get_manifest(osr_plugin_ctx_t ctx) {
  (void)ctx;
  return strdup(
      "{\"plugin_id\":\"dev.osr.smoke\",\"name\":\"Smoke\",\"version\":\"1.0.0\","
      "\"description\":\"Pack smoke test plugin.\",\"capabilities\":{\"tools\":["
      "{\"id\":\"echo\",\"description\":\"Echo the arguments\","
      "\"parameters\":{\"type\":\"object\",\"properties\":{}}}]}}");
}

static const char* plugin_invoke(osr_plugin_ctx_t ctx, const char* type, const char* id, const char* payload) {
  (void)ctx;
  if (strcmp(type, "tool") != 0 || strcmp(id, "echo") != 0) {
    return strdup("{\"ok\":false,\"kind\":\"invalid_args\",\"message\":\"only the echo tool exists\"}");
  }
  host->log(2, "echo called");
  const char* body = payload && *payload ? payload : "null";
  size_t size = strlen(body) + 32;
  char* out = malloc(size);
  snprintf(out, size, "{\"ok\":true,\"result\":%s}", body);
  return out;
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
