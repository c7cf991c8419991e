/*
 * osr_remote_channel.h - the memory a host and an isolated plugin's process share for remote calls
 * (osr_bridge.c, "remote calls"; decision P191). Both sides run the same bridge build, so the layout
 * is this struct as the compiler lays it out. The plugin process writes its side of each slot and may
 * be hostile: the host reads those fields once and checks them.
 */
#ifndef OSR_REMOTE_CHANNEL_H
#define OSR_REMOTE_CHANNEL_H

#include <stdatomic.h>
#include <stdint.h>

#define OSRB_CHANNEL_MAGIC 0x6f737263u
#define OSRB_CHANNEL_SLOTS 32
/* A call's strings, and then its answer, when they fit; larger calls keep the IPC path. */
#define OSRB_CHANNEL_SLOT_BYTES (256u << 10)

enum { OSRB_SLOT_FREE, OSRB_SLOT_REQUESTED, OSRB_SLOT_RUNNING, OSRB_SLOT_DONE };
enum { OSRB_ANSWER_NULL, OSRB_ANSWER_TEXT, OSRB_ANSWER_HELD, OSRB_ANSWER_LOST };

typedef struct {
  _Atomic uint32_t state;
  int32_t kind; /* OSRB_INVOKE or OSRB_HANDLE_ROUTE */
  uint64_t frame_id;
  uint32_t text_bytes[4]; /* agent, a0, a1, a2 in data, each with its NUL; 0 for NULL */
  int32_t answer;
  uint64_t answer_bytes;
  uint64_t held; /* OSRB_ANSWER_HELD: the plugin process's handle for the answer */
  int32_t host_calls_follow; /* the call made host calls: its process reports them after the answer, over IPC */
  char data[OSRB_CHANNEL_SLOT_BYTES];
} osrb_channel_slot;

typedef struct {
  uint32_t magic;
  _Atomic uint32_t requests; /* bumped after each request: the futex word watchers sleep on */
  _Atomic uint32_t sleepers; /* watchers asleep on it (or about to be): only then does the host wake them */
  osrb_channel_slot slots[OSRB_CHANNEL_SLOTS];
} osrb_channel_shared;

#endif
