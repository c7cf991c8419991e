/*
 * osr_bridge - runs native plugin code off the Node.js event loop.
 *
 * Plugin calls (dlopen, entry, init, invoke, ...) run on the bridge's own
 * worker threads, never on the JS thread and never on libuv's thread pool, so
 * a plugin call that blocks forever costs one parked thread and nothing else.
 *
 * Host callbacks: every (plugin slot, host-table slot) pair has its own C
 * trampoline, so the calling plugin is always known from the function
 * pointer it called (D3), whichever thread calls it. The trampolines are
 * generated (osr_slots.generated.h); how each slot is served is declared in
 * src/bridge.ts (HOST_SLOT_SERVING):
 * - park: copy the arguments into a request, queue a HOST_CALL event for JS
 *   and park the calling thread until JS answers with osrb_reply(). JS may
 *   first ask the parked thread to run the plugin's on_chunk callback
 *   (osrb_run_chunk), which is how complete_stream delivers chunks on the
 *   thread that called it.
 * - queue (log, log_structured): the same HOST_CALL event, but the caller
 *   returns at once; JS serves and records it as before, and its reply only
 *   frees the request.
 * - answer from the frame (get_active_agent_id): the agent of the frame the
 *   calling thread runs (NULL on threads the plugin spawned) is answered on
 *   that thread, and a HOST_CALL_ANSWERED event lets JS record the call.
 * - config cache (config_get): an answer JS read from the secret store is
 *   kept per plugin and answered on the calling thread until the next config
 *   write, which the host's change-marker file tells; a miss is parked.
 * Calls JS has not yet taken (queued calls, records) are capped: past the
 * cap a caller parks as in the first way, so a plugin cannot outrun JS.
 *
 * Events for JS (HOST_CALL, CALL_DONE, CHUNK_DONE) go through one queue. The
 * first event after the queue was drained writes one byte to a pipe whose
 * read end JS watches, so the event loop wakes without polling.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#endif

#include "osaurus_plugin.h"
/* Event kinds, call kinds, the event struct and the trampolines, generated from the TypeScript descriptors. */
#include "osr_slots.generated.h"
/* The memory a host and a plugin process share for remote calls. */
#include "osr_remote_channel.h"

/*
 * The bridge's threads (pool workers, slot servers, the record waker) outlive any one call and are never
 * joined, so the library must never be unmapped under them: a process tearing down unloads the libraries
 * it loaded, and a worker still spinning, or waking from its wait, then ran code that was gone (SIGSEGV
 * at exit). Loaded once, it stays until the process ends.
 */
__attribute__((constructor)) static void never_unload_the_bridge(void) {
  Dl_info self;
  if (dladdr((void*)never_unload_the_bridge, &self) && self.dli_fname) dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

#define OSRB_MAX_PLUGINS 256
/* A call kind of the bridge's own, never started by JS: a worker watching a remote-call channel. */
#define OSRB_WATCH_CHANNEL 1000
/* Never attached: a released table is pointed at this slot's trampolines, which answer NULL. */
#define OSRB_RETIRED_SLOT (OSRB_MAX_PLUGINS - 1)
/* Queued host calls and records JS has not yet taken; past this callers park until JS catches up. */
#define OSRB_MAX_BACKLOG 4096
#define OSRB_IDLE_WORKERS_KEPT 2
#define OSRB_IDLE_SECONDS 30

typedef struct osrb_event_node {
  osrb_event event;
  struct osrb_event_node* next;
} osrb_event_node;

typedef struct osrb_request {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int state; /* 0 waiting, 1 run a chunk, 2 answered */
  int detached; /* a queued call: nobody waits, the reply frees the request */
  char* chunk;
  char* result;
  char* args[3];
} osrb_request;

typedef struct osrb_job {
  uint64_t id;
  int32_t kind;
  int32_t plugin;
  uint64_t frame_id;
  uint32_t generation;
  char* agent; /* the frame's agent, answered by get_active_agent_id on this job's thread */
  _Atomic int abandoned; /* JS gave up on the frame: its host calls get the abandoned answers */
  void* fn;
  void* free_fn;
  void* pointer_arg;
  char* args[3];
  int32_t int_arg;
  osrb_event_node* done; /* allocated up front so completion can never be lost */
  struct osrb_channel* channel; /* OSRB_WATCH_CHANNEL: the channel this job watches */
  int posted_for_js; /* set on the job's thread: it posted a host call or record for JS (remote calls wait for them) */
  struct osrb_job* next;
  struct osrb_job* live_previous; /* every job from start until its thread finished with it */
  struct osrb_job* live_next;
} osrb_job;

/* ---- event queue and wake-up pipe ----------------------------------------- */

static pthread_mutex_t event_mutex = PTHREAD_MUTEX_INITIALIZER;
static osrb_event_node* event_head = NULL;
static osrb_event_node* event_tail = NULL;
static int wake_pending = 0;
static int pipe_read_fd = -1;
static int pipe_write_fd = -1;
static pthread_t js_thread;
static int js_thread_known = 0;
/* Queued host calls not yet answered by JS plus records not yet taken by JS (capped at OSRB_MAX_BACKLOG). */
static _Atomic int backlog = 0;

/* Starts a thread nobody joins; 0 when the system has no thread for it. */
static int start_detached_thread(void* (*thread_main)(void*), void* argument) {
  pthread_t thread;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&thread, &attributes, thread_main, argument);
  pthread_attr_destroy(&attributes);
  return rc == 0;
}

static void write_wake_byte(void) {
  char byte = 1;
  /* The pipe can only fill if JS stopped reading; the pending flag keeps it to one byte. */
  while (write(pipe_write_fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

/*
 * Records (HOST_CALL_ANSWERED: a call already answered off the event loop) need no prompt answer, so
 * they do not wake JS one by one: a plugin making a host call every few microseconds would otherwise
 * wake the event loop for each, and on a machine with few cores that wake-up took the core the call's
 * own threads needed. JS takes them with the next event that wakes it, once OSRB_RECORDS_PER_WAKE have
 * queued, or OSRB_RECORD_WAKE_DELAY_NS after the first, whichever comes first; the record waker thread
 * keeps that last promise.
 */
#define OSRB_RECORDS_PER_WAKE 256
#define OSRB_RECORD_WAKE_DELAY_NS 1000000
static int records_unannounced = 0; /* under event_mutex: records queued since JS was last woken */
static int record_waker_state = 0;  /* under event_mutex: 0 not started, 1 running, -1 could not start */
static pthread_cond_t record_waker_cond = PTHREAD_COND_INITIALIZER;

static void* record_waker_main(void* unused) {
  (void)unused;
  pthread_mutex_lock(&event_mutex);
  for (;;) {
    while (records_unannounced == 0) pthread_cond_wait(&record_waker_cond, &event_mutex);
    pthread_mutex_unlock(&event_mutex);
    struct timespec delay = {0, OSRB_RECORD_WAKE_DELAY_NS};
    while (nanosleep(&delay, &delay) != 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&event_mutex);
    if (records_unannounced > 0 && !wake_pending) {
      wake_pending = 1;
      records_unannounced = 0;
      pthread_mutex_unlock(&event_mutex);
      write_wake_byte();
      pthread_mutex_lock(&event_mutex);
    }
  }
  return NULL;
}

/* Under event_mutex: has the record waker watch the records queued; 0 when it cannot run (wake JS now). */
static int record_waker_watches(void) {
  if (record_waker_state == 0) record_waker_state = start_detached_thread(record_waker_main, NULL) ? 1 : -1;
  if (record_waker_state < 0) return 0;
  pthread_cond_signal(&record_waker_cond);
  return 1;
}

/* The frame the calling thread runs: set by the bridge's workers around each plugin call. */
static __thread int32_t frame_plugin = -1;
static __thread uint64_t frame_id = 0;
static __thread uint32_t frame_generation = 0;
static __thread osrb_job* frame_job = NULL;

static void post_event(osrb_event_node* node) {
  int must_wake = 0;
  node->next = NULL;
  if (frame_job && (node->event.kind == OSRB_HOST_CALL || node->event.kind == OSRB_HOST_CALL_ANSWERED)) frame_job->posted_for_js = 1;
  pthread_mutex_lock(&event_mutex);
  if (event_tail) event_tail->next = node;
  else event_head = node;
  event_tail = node;
  if (!wake_pending) {
    /*
     * Frame events of remote calls only keep JS's view of frames current: they wait like records, except
     * the end of a call whose host calls the host is waiting to hear about (int_arg).
     */
    int record = node->event.kind == OSRB_HOST_CALL_ANSWERED || node->event.kind == OSRB_FRAME_OPENED ||
                 (node->event.kind == OSRB_FRAME_CLOSED && !node->event.int_arg);
    records_unannounced += record;
    must_wake = !record || records_unannounced >= OSRB_RECORDS_PER_WAKE || (records_unannounced == 1 && !record_waker_watches());
    if (must_wake) {
      wake_pending = 1;
      records_unannounced = 0;
    }
  }
  pthread_mutex_unlock(&event_mutex);
  if (must_wake) write_wake_byte();
}

/* Opens the bridge for the calling (JS) thread; returns the fd JS watches. */
int32_t osrb_open(void) {
  if (pipe_read_fd >= 0) return pipe_read_fd;
  int fds[2];
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  pipe_read_fd = fds[0];
  pipe_write_fd = fds[1];
  js_thread = pthread_self();
  js_thread_known = 1;
  return pipe_read_fd;
}

static int take_remote_answer(osrb_event* out);

/* Moves the oldest event into *out (then any remote call's answer); returns 0 once there is none. */
int32_t osrb_next_event(osrb_event* out) {
  pthread_mutex_lock(&event_mutex);
  osrb_event_node* node = event_head;
  if (!node) {
    wake_pending = 0;
    records_unannounced = 0;
    pthread_mutex_unlock(&event_mutex);
    return take_remote_answer(out);
  }
  event_head = node->next;
  if (!event_head) event_tail = NULL;
  pthread_mutex_unlock(&event_mutex);
  *out = node->event;
  free(node);
  if (out->kind == OSRB_HOST_CALL_ANSWERED) atomic_fetch_sub(&backlog, 1);
  return 1;
}

/* ---- strings ---------------------------------------------------------------- */

static char* copy_or_null(const char* s) { return s ? strdup(s) : NULL; }

/* Host-returned strings are malloc'd, so a plugin may free them with free() (D4). */
void osrb_free_string(const char* s) { free((void*)s); }

void osrb_free(void* p) { free(p); }

/* ---- host callbacks ------------------------------------------------------------- */

/* Per plugin slot: JS asked for get_active_agent_id to be answered from the frame (osrb_answer_from_frame). */
static _Atomic int answers_from_frame[OSRB_MAX_PLUGINS];

static uint64_t monotonic_ns(void) {
  struct timespec now;
#ifdef __APPLE__
  clock_gettime(CLOCK_UPTIME_RAW, &now); /* libuv's hrtime clock there */
#else
  clock_gettime(CLOCK_MONOTONIC, &now);
#endif
  return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Takes one place in the backlog; 0 when it is full. */
static int enter_backlog(void) {
  if (atomic_fetch_add(&backlog, 1) < OSRB_MAX_BACKLOG) return 1;
  atomic_fetch_sub(&backlog, 1);
  return 0;
}

/* Parking the JS thread would deadlock: nothing else could answer. */
static int on_js_thread(void) { return js_thread_known && pthread_equal(pthread_self(), js_thread); }

/*
 * Each plugin slot's owner generation, bumped when JS attaches or releases
 * the slot. A call made for an older owner is answered NULL here, so a
 * thread that outlives its plugin never reaches the slot's next owner:
 * bridge workers carry the generation of the job they run; any other thread
 * keeps the generation it first called a slot under.
 */
static _Atomic uint32_t slot_generation[OSRB_MAX_PLUGINS];
static __thread uint32_t thread_generation[OSRB_MAX_PLUGINS];

/* Starts a new owner generation for `plugin` (JS calls it on attach and on release). */
void osrb_next_generation(int32_t plugin) {
  if (plugin >= 0 && plugin < OSRB_MAX_PLUGINS) atomic_fetch_add(&slot_generation[plugin], 1);
}

static int caller_owns_slot(int32_t plugin) {
  uint32_t current = atomic_load(&slot_generation[plugin]);
  if (frame_plugin == plugin) return frame_generation == current;
  if (thread_generation[plugin] == 0) thread_generation[plugin] = current;
  return thread_generation[plugin] == current;
}

/* Byte length and deepest [ / { nesting outside JSON strings, so JS can refuse an argument before parsing it. */
static uint64_t measure_argument(const char* s, int32_t* deepest) {
  const char* p = s;
  int64_t depth = 0;
  int in_string = 0;
  *deepest = 0;
  if (!s) return 0;
  for (; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1]) p++;
      else if (*p == '"') in_string = 0;
    } else if (*p == '"') {
      in_string = 1;
    } else if (*p == '[' || *p == '{') {
      if (++depth > *deepest && depth <= INT32_MAX) *deepest = (int32_t)depth;
    } else if ((*p == ']' || *p == '}') && depth > 0) {
      depth--;
    }
  }
  return (uint64_t)(p - s);
}

/* A HOST_CALL event and its request, with the arguments copied and measured; NULL if out of memory. */
static osrb_event_node* new_host_call(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1,
                                      const char* a2, osr_on_chunk_fn on_chunk, int detached) {
  osrb_request* request = calloc(1, sizeof *request);
  osrb_event_node* node = calloc(1, sizeof *node);
  if (!request || !node) {
    free(request);
    free(node);
    return NULL;
  }
  request->detached = detached;
  if (!detached) {
    pthread_mutex_init(&request->mutex, NULL);
    pthread_cond_init(&request->cond, NULL);
  }
  request->args[0] = copy_or_null(a0);
  request->args[1] = copy_or_null(a1);
  request->args[2] = copy_or_null(a2);

  node->event.kind = OSRB_HOST_CALL;
  node->event.plugin = plugin;
  node->event.slot = slot;
  node->event.int_arg = int_arg;
  node->event.frame_id = frame_plugin == plugin ? frame_id : 0;
  node->event.request = request;
  node->event.arg0 = request->args[0];
  node->event.arg1 = request->args[1];
  node->event.arg2 = request->args[2];
  for (int i = 0; i < 3; i++) node->event.arg_bytes[i] = measure_argument(request->args[i], &node->event.arg_depth[i]);
  node->event.on_chunk = (void*)on_chunk;
  return node;
}

static void free_request(osrb_request* request) {
  for (int i = 0; i < 3; i++) free(request->args[i]);
  free(request);
}

/* Served by JS: the calling thread parks until JS answers. */
__attribute__((noinline)) static char* host_call(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1,
                       const char* a2, osr_on_chunk_fn on_chunk, void* user_data) {
  if (on_js_thread()) return NULL;
  if (plugin == OSRB_RETIRED_SLOT || !caller_owns_slot(plugin)) return NULL;
  osrb_event_node* node = new_host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, 0);
  if (!node) return NULL;
  osrb_request* request = node->event.request;
  post_event(node);

  pthread_mutex_lock(&request->mutex);
  for (;;) {
    while (request->state == 0) pthread_cond_wait(&request->cond, &request->mutex);
    if (request->state != 1) break;
    char* chunk = request->chunk;
    request->chunk = NULL;
    request->state = 0;
    pthread_mutex_unlock(&request->mutex);
    if (on_chunk) on_chunk(chunk, user_data);
    free(chunk);
    osrb_event_node* done = calloc(1, sizeof *done);
    if (done) {
      done->event.kind = OSRB_CHUNK_DONE;
      done->event.plugin = plugin;
      done->event.request = request;
      post_event(done);
    }
    pthread_mutex_lock(&request->mutex);
  }
  char* result = request->result;
  pthread_mutex_unlock(&request->mutex);

  pthread_cond_destroy(&request->cond);
  pthread_mutex_destroy(&request->mutex);
  free_request(request);
  return result;
}

/* Served by JS without the caller waiting (void slots): the caller goes on at once. */
static char* queue_host_call(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1, const char* a2,
                             osr_on_chunk_fn on_chunk, void* user_data) {
  if (on_js_thread()) return NULL;
  if (plugin == OSRB_RETIRED_SLOT || !caller_owns_slot(plugin)) return NULL;
  if (!enter_backlog()) return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  osrb_event_node* node = new_host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, 1);
  if (node) post_event(node);
  else atomic_fetch_sub(&backlog, 1);
  return NULL;
}

/*
 * Queues the HOST_CALL_ANSWERED record of a call answered off the event loop, with copies of its
 * arguments (`args` may be NULL) and answer; the caller holds a place in the backlog, which JS frees.
 */
static void post_answered(int32_t plugin, int32_t slot, uint64_t frame, const char* const* args, const uint64_t* arg_bytes,
                          const char* answer, uint64_t started) {
  osrb_event_node* record = calloc(1, sizeof *record);
  if (!record) {
    atomic_fetch_sub(&backlog, 1);
    return;
  }
  record->event.kind = OSRB_HOST_CALL_ANSWERED;
  record->event.plugin = plugin;
  record->event.slot = slot;
  record->event.frame_id = frame;
  if (args) {
    record->event.arg0 = copy_or_null(args[0]);
    record->event.arg1 = copy_or_null(args[1]);
    record->event.arg2 = copy_or_null(args[2]);
    for (int i = 0; i < 3; i++) record->event.arg_bytes[i] = arg_bytes[i];
  }
  if (answer) {
    record->event.text_len = strlen(answer);
    record->event.text = copy_or_null(answer);
    record->event.has_text = 1;
  }
  record->event.started_ns = started;
  record->event.duration_ns = monotonic_ns() - started;
  post_event(record);
}

/* Lets JS have the frame's agent answered on the calling thread for `plugin` (on), or served by JS (off). */
void osrb_answer_from_frame(int32_t plugin, int32_t on) {
  if (plugin >= 0 && plugin < OSRB_MAX_PLUGINS) atomic_store(&answers_from_frame[plugin], on != 0);
}

/*
 * get_active_agent_id: the agent of the frame this thread runs for `plugin`, answered here; NULL on a
 * thread the plugin spawned, in a frame without an agent, and once JS abandoned the frame (then
 * unrecorded, as JS does). JS gets a HOST_CALL_ANSWERED event to record the call.
 */
static char* answer_from_frame(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1, const char* a2,
                               osr_on_chunk_fn on_chunk, void* user_data) {
  if (on_js_thread()) return NULL;
  if (plugin == OSRB_RETIRED_SLOT || !caller_owns_slot(plugin)) return NULL;
  if (!atomic_load(&answers_from_frame[plugin]) || !enter_backlog()) {
    return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  }
  uint64_t started = monotonic_ns();
  osrb_job* job = frame_plugin == plugin ? frame_job : NULL;
  if (job && atomic_load(&job->abandoned)) {
    atomic_fetch_sub(&backlog, 1);
    return NULL;
  }
  char* answer = copy_or_null(job ? job->agent : NULL);
  post_answered(plugin, slot, job ? frame_id : 0, NULL, NULL, answer, started);
  return answer;
}

/* ---- config answers cached on the calling thread ---------------------------------- */

/*
 * config_get answers JS read from the secret store, kept per plugin slot and answered on the calling
 * thread. Every config write, by this process or another one on the same host home, rewrites an
 * 8-byte change-marker file that each cache reads before each lookup: answers are kept under the
 * marker they were read under, and a moved marker empties the cache. JS takes the marker before it
 * reads the store, so an answer read across a write is never kept. A marker file that was truncated,
 * deleted or replaced reads as OSRB_MARKER_UNKNOWN, under which nothing is answered or kept: the file
 * is read, never mapped, so a truncated one cannot fault the process, and one recreated at its path
 * is opened again (P184).
 */
#define OSRB_CONFIG_CACHE_MAX_ANSWERS 256
#define OSRB_CONFIG_CACHE_MAX_BYTES (4u << 20)
/* No marker can be trusted now: the file is short, gone or unreadable. */
#define OSRB_MARKER_UNKNOWN UINT64_MAX
#define OSRB_MARKER_RECHECK_NS 1000000

typedef struct osrb_config_answer {
  struct osrb_config_answer* next;
  char* agent;
  char* key;
  char* value; /* NULL: the agent has no value for the key */
  size_t bytes;
} osrb_config_answer;

typedef struct {
  char* marker_path;     /* the change marker's path; NULL while the plugin's answers are not cached */
  int marker_fd;         /* open on the file at marker_path, or -1 until it can be opened again */
  uint64_t linked_at_ns; /* when marker_fd was last seen still linked at its path */
  uint64_t tag;          /* the marker the kept answers were read under */
  osrb_config_answer* answers;
  uint32_t count;
  size_t bytes;
} osrb_config_cache;

static pthread_mutex_t config_cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static osrb_config_cache config_caches[OSRB_MAX_PLUGINS];

/* Under config_cache_mutex. */
static void forget_config_answers(osrb_config_cache* cache) {
  while (cache->answers) {
    osrb_config_answer* answer = cache->answers;
    cache->answers = answer->next;
    free(answer->agent);
    free(answer->key);
    free(answer->value);
    free(answer);
  }
  cache->count = 0;
  cache->bytes = 0;
}

/*
 * Under config_cache_mutex, with the cache on: the marker now. A file without its 8 bytes reads as
 * unknown. One unlinked (deleted, or replaced by a rename) is noticed within OSRB_MARKER_RECHECK_NS,
 * and the file at the path opened again: checking on every lookup would double its cost.
 */
static uint64_t read_config_marker(osrb_config_cache* cache) {
  uint64_t now = monotonic_ns();
  if (cache->marker_fd >= 0 && now - cache->linked_at_ns >= OSRB_MARKER_RECHECK_NS) {
    struct stat info;
    if (fstat(cache->marker_fd, &info) != 0 || info.st_nlink == 0) {
      close(cache->marker_fd);
      cache->marker_fd = -1;
    } else {
      cache->linked_at_ns = now;
    }
  }
  if (cache->marker_fd < 0) {
    cache->marker_fd = open(cache->marker_path, O_RDONLY | O_CLOEXEC);
    cache->linked_at_ns = now;
  }
  uint64_t marker;
  if (cache->marker_fd < 0 || pread(cache->marker_fd, &marker, sizeof marker, 0) != (ssize_t)sizeof marker) {
    return OSRB_MARKER_UNKNOWN;
  }
  return marker == OSRB_MARKER_UNKNOWN ? OSRB_MARKER_UNKNOWN - 1 : marker;
}

/* Under config_cache_mutex, with the cache on: its answers, emptied first if the marker moved since they were kept. */
static osrb_config_answer* current_config_answers(osrb_config_cache* cache) {
  uint64_t marker = read_config_marker(cache);
  if (marker != cache->tag || marker == OSRB_MARKER_UNKNOWN) {
    forget_config_answers(cache);
    cache->tag = marker;
  }
  return cache->answers;
}

/* Under config_cache_mutex. */
static osrb_config_answer* find_config_answer(osrb_config_cache* cache, const char* agent, const char* key) {
  for (osrb_config_answer* answer = current_config_answers(cache); answer; answer = answer->next) {
    if (strcmp(answer->agent, agent) == 0 && strcmp(answer->key, key) == 0) return answer;
  }
  return NULL;
}

/* Stops caching `plugin`'s config answers and drops the kept ones. */
void osrb_config_cache_close(int32_t plugin) {
  if (plugin < 0 || plugin >= OSRB_MAX_PLUGINS) return;
  osrb_config_cache* cache = &config_caches[plugin];
  pthread_mutex_lock(&config_cache_mutex);
  forget_config_answers(cache);
  /* A cache never opened has no descriptor: its zeroed marker_fd is not one of ours. */
  if (cache->marker_path && cache->marker_fd >= 0) close(cache->marker_fd);
  cache->marker_fd = -1;
  free(cache->marker_path);
  cache->marker_path = NULL;
  pthread_mutex_unlock(&config_cache_mutex);
}

/* Caches `plugin`'s config_get answers under the change marker at `marker_path` (created if missing); 0 if it cannot be. */
int32_t osrb_config_cache_open(int32_t plugin, const char* marker_path) {
  if (plugin < 0 || plugin >= OSRB_RETIRED_SLOT || !marker_path) return 0;
  int fd = open(marker_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return 0;
  struct stat info;
  /* Extending a short file only appends zeros, so a writer racing this loses nothing. */
  char* path = strdup(marker_path);
  if (!path || fstat(fd, &info) != 0 || (info.st_size < (off_t)sizeof(uint64_t) && ftruncate(fd, sizeof(uint64_t)) != 0)) {
    free(path);
    close(fd);
    return 0;
  }
  osrb_config_cache_close(plugin);
  pthread_mutex_lock(&config_cache_mutex);
  osrb_config_cache* cache = &config_caches[plugin];
  cache->marker_path = path;
  cache->marker_fd = fd;
  cache->tag = read_config_marker(cache);
  pthread_mutex_unlock(&config_cache_mutex);
  return 1;
}

/* The change marker as `plugin`'s cache sees it now (OSRB_MARKER_UNKNOWN when off); JS takes it before reading the store. */
uint64_t osrb_config_cache_marker(int32_t plugin) {
  if (plugin < 0 || plugin >= OSRB_MAX_PLUGINS) return OSRB_MARKER_UNKNOWN;
  pthread_mutex_lock(&config_cache_mutex);
  osrb_config_cache* cache = &config_caches[plugin];
  uint64_t current = cache->marker_path ? read_config_marker(cache) : OSRB_MARKER_UNKNOWN;
  pthread_mutex_unlock(&config_cache_mutex);
  return current;
}

/*
 * Keeps the answer `value` (NULL: no value) JS read for (agent, key) under the marker `tag`, unless the
 * marker has moved since; a full cache keeps nothing more until the next write empties it.
 */
void osrb_config_cache_keep(int32_t plugin, const char* agent, const char* key, const char* value, uint64_t tag) {
  if (plugin < 0 || plugin >= OSRB_MAX_PLUGINS || !agent || !key) return;
  osrb_config_cache* cache = &config_caches[plugin];
  size_t bytes = sizeof(osrb_config_answer) + strlen(agent) + strlen(key) + (value ? strlen(value) : 0) + 3;
  pthread_mutex_lock(&config_cache_mutex);
  if (cache->marker_path && tag != OSRB_MARKER_UNKNOWN && !find_config_answer(cache, agent, key) && tag == cache->tag &&
      cache->count < OSRB_CONFIG_CACHE_MAX_ANSWERS && cache->bytes + bytes <= OSRB_CONFIG_CACHE_MAX_BYTES) {
    osrb_config_answer* answer = calloc(1, sizeof *answer);
    if (answer) {
      answer->agent = strdup(agent);
      answer->key = strdup(key);
      answer->value = copy_or_null(value);
      answer->bytes = bytes;
    }
    if (answer && answer->agent && answer->key && (answer->value || !value)) {
      answer->next = cache->answers;
      cache->answers = answer;
      cache->count++;
      cache->bytes += bytes;
    } else if (answer) {
      free(answer->agent);
      free(answer->key);
      free(answer->value);
      free(answer);
    }
  }
  pthread_mutex_unlock(&config_cache_mutex);
}

/*
 * config_get: a kept answer for the frame's agent, answered here and recorded through HOST_CALL_ANSWERED;
 * anything else (no kept answer, a NULL key, no frame agent, an abandoned frame) is parked for JS, whose
 * rules and warnings stay in one place.
 */
static char* answer_from_config_cache(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1,
                                      const char* a2, osr_on_chunk_fn on_chunk, void* user_data) {
  if (on_js_thread()) return NULL;
  if (plugin == OSRB_RETIRED_SLOT || !caller_owns_slot(plugin)) return NULL;
  osrb_job* job = frame_plugin == plugin ? frame_job : NULL;
  if (!a0 || !job || !job->agent || atomic_load(&job->abandoned) || !enter_backlog()) {
    return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  }
  uint64_t started = monotonic_ns();
  osrb_config_cache* cache = &config_caches[plugin];
  char* value = NULL;
  int kept = 0;
  pthread_mutex_lock(&config_cache_mutex);
  osrb_config_answer* answer = cache->marker_path ? find_config_answer(cache, job->agent, a0) : NULL;
  if (answer) {
    value = copy_or_null(answer->value);
    kept = !answer->value || value;
  }
  pthread_mutex_unlock(&config_cache_mutex);
  if (!kept) {
    atomic_fetch_sub(&backlog, 1);
    return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  }
  const char* args[3] = {a0, NULL, NULL};
  const uint64_t arg_bytes[3] = {strlen(a0), 0, 0};
  post_answered(plugin, slot, frame_id, args, arg_bytes, value, started);
  return value;
}

/* ---- host calls served on a slot-server thread ------------------------------------- */

/*
 * A slot server is a JS worker thread that serves some slots synchronously (the database slots, through
 * the storage engine, which owns the plugin's one connection). A plugin thread hands its call to the
 * server through the server's queue and waits for the answer; the event loop is not involved, it only
 * gets a record of the call afterwards. Both sides spin briefly before sleeping: a one-row statement
 * takes a few microseconds, a futex wake-up of a sleeping thread tens of them.
 */
#define OSRB_MAX_SERVERS 16
/* How long a caller spins for its answer, and a server for its next call, before sleeping. */
#define OSRB_CALLER_SPIN_NS 100000
#define OSRB_SERVER_SPIN_NS 50000

/* A spinning thread yields: on a machine with fewer cores than busy threads, the thread it waits for may need this core. */
static inline void spin_pause(void) { sched_yield(); }

typedef struct osrb_served_call {
  _Atomic int answered;
  int sleeping; /* under mutex: the caller stopped spinning and waits on cond */
  int detached; /* a control entry nobody waits for: the server frees it */
  int32_t kind; /* OSRB_SERVE_CALL, OSRB_SERVE_ATTACH, OSRB_SERVE_FORGET, OSRB_SERVE_STOP */
  int32_t plugin;
  int32_t slot;
  const char* args[3];
  uint64_t arg_bytes[3];
  char* result;
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  struct osrb_served_call* next;
} osrb_served_call;

enum { OSRB_SERVE_CALL = 1, OSRB_SERVE_ATTACH = 2, OSRB_SERVE_FORGET = 3, OSRB_SERVE_STOP = 4 };

typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  osrb_served_call* head;
  osrb_served_call* tail;
  _Atomic int queued;
  int sleeping;
  int accepting; /* under mutex: from open until close */
  int in_use;
} osrb_server;

void osrb_server_reply(void* handle, const char* result);

static osrb_server servers[OSRB_MAX_SERVERS];
static pthread_mutex_t servers_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Per plugin slot: 1 + the server that serves its server-served slots, or 0 (JS serves them). */
static _Atomic int plugin_server[OSRB_MAX_PLUGINS];
/* Per plugin slot: bit N set when host slot N goes to its server (its handlers serve that slot). */
static _Atomic uint64_t plugin_server_slots[OSRB_MAX_PLUGINS];
_Static_assert(OSRB_SLOT_COUNT <= 64, "plugin_server_slots holds one bit per host slot");
static _Atomic uint64_t plugin_max_argument_bytes[OSRB_MAX_PLUGINS];
static _Atomic int32_t plugin_max_argument_depth[OSRB_MAX_PLUGINS];

/* Reserves a server queue; returns its index, or -1 when all are taken. */
int32_t osrb_server_open(void) {
  pthread_mutex_lock(&servers_mutex);
  for (int32_t i = 0; i < OSRB_MAX_SERVERS; i++) {
    if (servers[i].in_use) continue;
    servers[i].in_use = 1;
    pthread_mutex_init(&servers[i].mutex, NULL);
    pthread_cond_init(&servers[i].cond, NULL);
    servers[i].accepting = 1;
    pthread_mutex_unlock(&servers_mutex);
    return i;
  }
  pthread_mutex_unlock(&servers_mutex);
  return -1;
}

/* Returns 0 when the server's queue is closed: nobody would ever answer. */
static int enqueue_served(int32_t server, osrb_served_call* call) {
  osrb_server* queue = &servers[server];
  call->next = NULL;
  pthread_mutex_lock(&queue->mutex);
  if (!queue->accepting) {
    pthread_mutex_unlock(&queue->mutex);
    return 0;
  }
  if (queue->tail) queue->tail->next = call;
  else queue->head = call;
  queue->tail = call;
  atomic_fetch_add(&queue->queued, 1);
  int wake = queue->sleeping;
  pthread_mutex_unlock(&queue->mutex);
  if (wake) pthread_cond_signal(&queue->cond);
  return 1;
}

/* Queues a control entry (attach a plugin's id, forget a plugin, stop) that nobody waits for. */
static void post_control(int32_t server, int32_t kind, int32_t plugin, const char* text) {
  osrb_served_call* call = calloc(1, sizeof *call);
  if (!call) return;
  call->detached = 1;
  call->kind = kind;
  call->plugin = plugin;
  call->args[0] = copy_or_null(text);
  call->arg_bytes[0] = text ? strlen(text) : 0;
  if (!enqueue_served(server, call)) {
    free((void*)call->args[0]);
    free(call);
  }
}

/*
 * Routes `plugin`'s server-served slots whose bits are set in `slots` (bit N for host slot N) to `server`
 * (telling it the plugin's id first), or back to JS with server -1 (the server is told to forget the plugin
 * slot; `plugin_id` may then be NULL). Arguments over `max_bytes`, and JSON arguments nested deeper than
 * `max_depth`, still go to JS, which refuses them; so do the slots whose bits are clear.
 */
void osrb_serve_on_server(int32_t plugin, int32_t server, const char* plugin_id, uint64_t max_bytes, int32_t max_depth, uint64_t slots) {
  if (plugin < 0 || plugin >= OSRB_MAX_PLUGINS) return;
  int previous = atomic_load(&plugin_server[plugin]) - 1;
  if (server >= 0 && server < OSRB_MAX_SERVERS) {
    atomic_store(&plugin_max_argument_bytes[plugin], max_bytes);
    atomic_store(&plugin_max_argument_depth[plugin], max_depth);
    atomic_store(&plugin_server_slots[plugin], slots);
    post_control(server, OSRB_SERVE_ATTACH, plugin, plugin_id);
    atomic_store(&plugin_server[plugin], server + 1);
  } else {
    atomic_store(&plugin_server[plugin], 0);
    if (previous >= 0) post_control(previous, OSRB_SERVE_FORGET, plugin, NULL);
  }
}

/* Asks the server to return from osrb_server_next with OSRB_SERVE_STOP, after the calls queued before. */
void osrb_server_stop(int32_t server) {
  if (server >= 0 && server < OSRB_MAX_SERVERS) post_control(server, OSRB_SERVE_STOP, -1, NULL);
}

/*
 * Frees a server queue after its thread stopped: calls still queued are answered NULL, and plugins still
 * routed to it go back to JS (their later calls park), so no caller waits for a server that is gone.
 */
void osrb_server_close(int32_t server) {
  if (server < 0 || server >= OSRB_MAX_SERVERS) return;
  osrb_server* queue = &servers[server];
  for (int plugin = 0; plugin < OSRB_MAX_PLUGINS; plugin++) {
    int routed = server + 1;
    atomic_compare_exchange_strong(&plugin_server[plugin], &routed, 0);
  }
  pthread_mutex_lock(&servers_mutex);
  pthread_mutex_lock(&queue->mutex);
  queue->accepting = 0;
  osrb_served_call* call = queue->head;
  queue->head = queue->tail = NULL;
  atomic_store(&queue->queued, 0);
  pthread_mutex_unlock(&queue->mutex);
  queue->in_use = 0;
  pthread_mutex_unlock(&servers_mutex);
  while (call) {
    osrb_served_call* next = call->next;
    osrb_server_reply(call, NULL);
    call = next;
  }
}

/*
 * A server thread runs below the event loop's priority: on a machine with few cores, a plugin's heavy
 * statement (a 32 MB argument parsed into millions of values) must not take the core the event loop
 * needs to keep answering everyone else. Linux sets nice values per thread; elsewhere this is a no-op.
 */
static void yield_priority_to_event_loop(void) {
  static __thread int lowered = 0;
  if (lowered) return;
  lowered = 1;
#ifdef __linux__
  setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
}

/*
 * Called by the server's thread: waits for the next entry and describes it in `out` (int64 words: the
 * entry, kind, plugin slot, host slot, then three argument pointers and their byte lengths).
 */
void osrb_server_next(int32_t server, int64_t* out) {
  yield_priority_to_event_loop();
  osrb_server* queue = &servers[server];
  uint64_t spin_until = monotonic_ns() + OSRB_SERVER_SPIN_NS;
  while (atomic_load_explicit(&queue->queued, memory_order_acquire) == 0 && monotonic_ns() < spin_until) spin_pause();
  pthread_mutex_lock(&queue->mutex);
  while (!queue->head) {
    queue->sleeping = 1;
    pthread_cond_wait(&queue->cond, &queue->mutex);
    queue->sleeping = 0;
  }
  osrb_served_call* call = queue->head;
  queue->head = call->next;
  if (!queue->head) queue->tail = NULL;
  atomic_fetch_sub(&queue->queued, 1);
  pthread_mutex_unlock(&queue->mutex);
  out[0] = (int64_t)(intptr_t)call;
  out[1] = call->kind;
  out[2] = call->plugin;
  out[3] = call->slot;
  for (int i = 0; i < 3; i++) {
    out[4 + i] = (int64_t)(intptr_t)call->args[i];
    out[7 + i] = (int64_t)call->arg_bytes[i];
  }
}

/* Answers an entry from osrb_server_next (`result` may be NULL; it is copied). Control entries are freed. */
void osrb_server_reply(void* handle, const char* result) {
  osrb_served_call* call = handle;
  if (call->detached) {
    free((void*)call->args[0]);
    free(call);
    return;
  }
  char* copy = copy_or_null(result);
  pthread_mutex_lock(&call->mutex);
  call->result = copy;
  atomic_store_explicit(&call->answered, 1, memory_order_release);
  if (call->sleeping) pthread_cond_signal(&call->cond);
  pthread_mutex_unlock(&call->mutex);
}

/*
 * A server-served slot (db_exec, db_query, file_read). Calls JS would refuse or answer without running them (a NULL
 * first argument; an oversized or too deeply nested argument, an abandoned frame), plugins without a server and
 * slots their server does not serve take the parked path, so JS's rules stay in one place.
 */
static char* serve_on_server(int32_t plugin, int32_t slot, int32_t int_arg, const char* a0, const char* a1, const char* a2,
                             osr_on_chunk_fn on_chunk, void* user_data) {
  if (on_js_thread()) return NULL;
  if (plugin == OSRB_RETIRED_SLOT || !caller_owns_slot(plugin)) return NULL;
  int server = atomic_load(&plugin_server[plugin]) - 1;
  osrb_job* job = frame_plugin == plugin ? frame_job : NULL;
  osrb_served_call call = {.kind = OSRB_SERVE_CALL, .plugin = plugin, .slot = slot, .args = {a0, a1, a2}};
  int refused = server < 0 || !((atomic_load(&plugin_server_slots[plugin]) >> slot) & 1) || !a0 || (job && atomic_load(&job->abandoned));
  uint64_t max_bytes = atomic_load(&plugin_max_argument_bytes[plugin]);
  int32_t max_depth = atomic_load(&plugin_max_argument_depth[plugin]);
  for (int i = 0; i < 3 && !refused; i++) {
    int32_t depth;
    call.arg_bytes[i] = measure_argument(call.args[i], &depth);
    refused = call.arg_bytes[i] > max_bytes || (((OSRB_JSON_ARGS[slot] >> i) & 1) && depth > max_depth);
  }
  if (refused) return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  /* A plugin cannot outrun JS's recording: past the backlog it waits for JS to catch up. */
  while (!enter_backlog()) {
    struct timespec pause = {0, 100000};
    nanosleep(&pause, NULL);
  }

  uint64_t started = monotonic_ns();
  pthread_mutex_init(&call.mutex, NULL);
  pthread_cond_init(&call.cond, NULL);
  if (!enqueue_served(server, &call)) {
    pthread_cond_destroy(&call.cond);
    pthread_mutex_destroy(&call.mutex);
    atomic_fetch_sub(&backlog, 1);
    return host_call(plugin, slot, int_arg, a0, a1, a2, on_chunk, user_data);
  }
  uint64_t spin_until = started + OSRB_CALLER_SPIN_NS;
  while (!atomic_load_explicit(&call.answered, memory_order_acquire) && monotonic_ns() < spin_until) spin_pause();
  pthread_mutex_lock(&call.mutex);
  while (!atomic_load_explicit(&call.answered, memory_order_acquire)) {
    call.sleeping = 1;
    pthread_cond_wait(&call.cond, &call.mutex);
  }
  /* Taking the lock also waits until the server has let go of it. */
  pthread_mutex_unlock(&call.mutex);
  pthread_cond_destroy(&call.cond);
  pthread_mutex_destroy(&call.mutex);
  post_answered(plugin, slot, job ? frame_id : 0, call.args, call.arg_bytes, call.result, started);
  return call.result;
}

/* Answers a HOST_CALL; `result` (may be NULL) is copied with malloc. The request is gone afterwards. */
void osrb_reply(void* handle, const char* result) {
  osrb_request* request = handle;
  if (request->detached) {
    free_request(request);
    atomic_fetch_sub(&backlog, 1);
    return;
  }
  char* copy = copy_or_null(result);
  pthread_mutex_lock(&request->mutex);
  request->result = copy;
  request->state = 2;
  pthread_cond_signal(&request->cond);
  pthread_mutex_unlock(&request->mutex);
}

/* Asks the parked complete_stream caller to run on_chunk(chunk); a CHUNK_DONE event follows. */
void osrb_run_chunk(void* handle, const char* chunk) {
  osrb_request* request = handle;
  char* copy = copy_or_null(chunk);
  pthread_mutex_lock(&request->mutex);
  request->chunk = copy;
  request->state = 1;
  pthread_cond_signal(&request->cond);
  pthread_mutex_unlock(&request->mutex);
}

/* 256 plugin slots, named by two hex digits: 0x00 .. 0xff. */
#define EACH_LOW(M, h) \
  M(h, 0) M(h, 1) M(h, 2) M(h, 3) M(h, 4) M(h, 5) M(h, 6) M(h, 7) M(h, 8) M(h, 9) M(h, a) M(h, b) M(h, c) M(h, d) M(h, e) M(h, f)
#define EACH_PLUGIN_SLOT(M)                                                                        \
  EACH_LOW(M, 0) EACH_LOW(M, 1) EACH_LOW(M, 2) EACH_LOW(M, 3) EACH_LOW(M, 4) EACH_LOW(M, 5)        \
  EACH_LOW(M, 6) EACH_LOW(M, 7) EACH_LOW(M, 8) EACH_LOW(M, 9) EACH_LOW(M, a) EACH_LOW(M, b)        \
  EACH_LOW(M, c) EACH_LOW(M, d) EACH_LOW(M, e) EACH_LOW(M, f)

#define DEFINE_FOR(h, l) OSRB_DEFINE_TRAMPOLINES(h##l, 0x##h##l)
#define ROW_FOR(h, l) OSRB_TRAMPOLINE_ROW(h##l)

EACH_PLUGIN_SLOT(DEFINE_FOR)

static void* const trampolines[OSRB_MAX_PLUGINS][OSRB_SLOT_COUNT] = {EACH_PLUGIN_SLOT(ROW_FOR)};

/* Slots JS may attach; the last one is the retired slot. */
int32_t osrb_max_plugins(void) { return OSRB_RETIRED_SLOT; }

int32_t osrb_retired_slot(void) { return OSRB_RETIRED_SLOT; }

/* The function pointer to store in slot `slot` of plugin `plugin`'s table (NULL for slot 0). */
void* osrb_trampoline(int32_t plugin, int32_t slot) {
  if (plugin < 0 || plugin >= OSRB_MAX_PLUGINS || slot < 0 || slot >= OSRB_SLOT_COUNT) return NULL;
  return trampolines[plugin][slot];
}

/* ---- plugin calls on bridge worker threads ------------------------------------ */

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static osrb_job* job_head = NULL;
static osrb_job* job_tail = NULL;
/* Changed under pool_mutex; atomic so the spinning worker can watch it without the lock. */
static _Atomic int queued_jobs = 0;
static int idle_workers = 0;
/*
 * One idle worker at a time spins (yielding the core) for its next job before sleeping, so a caller
 * that starts calls back to back hands them over without a futex wake-up, which costs tens of
 * microseconds on a virtual machine. The window covers the gap between calls an isolated plugin's
 * process sees, a round trip to the host process and back (P183). Under pool_mutex; the spinner also
 * counts as idle.
 */
static int spinner_present = 0;
#define OSRB_WORKER_SPIN_NS 200000
static int total_workers = 0;
static int busy_workers = 0;
/* Workers signalled or started for the queue that have not reached it yet. Under pool_mutex. */
static int workers_coming = 0;
static uint64_t next_call_id = 1;
static osrb_job* live_jobs = NULL;

/* Under pool_mutex. */
static void forget_job(osrb_job* job) {
  if (job->live_previous) job->live_previous->live_next = job->live_next;
  else live_jobs = job->live_next;
  if (job->live_next) job->live_next->live_previous = job->live_previous;
}

static void free_job(osrb_job* job) {
  for (int i = 0; i < 3; i++) free(job->args[i]);
  free(job->agent);
  free(job);
}

/* JS stopped waiting for the calls running in `frame`: their get_active_agent_id answers NULL from now on. */
void osrb_abandon_frame(uint64_t frame) {
  if (frame == 0) return;
  pthread_mutex_lock(&pool_mutex);
  for (osrb_job* job = live_jobs; job; job = job->live_next) {
    if (job->frame_id == frame) atomic_store(&job->abandoned, 1);
  }
  pthread_mutex_unlock(&pool_mutex);
}

static void take_plugin_string(osrb_event* event, const char* s, void* free_fn) {
  if (!s) return;
  size_t length = strlen(s);
  event->has_text = 1;
  event->text_len = length;
  event->text = malloc(length + 1);
  if (event->text) memcpy(event->text, s, length + 1);
  if (free_fn) ((osr_free_string_fn)free_fn)(s);
}

static void run_job(osrb_job* job, osrb_event* event) {
  void* ctx = job->pointer_arg;
  switch (job->kind) {
    case OSRB_LOAD: {
      dlerror();
      void* handle = dlopen(job->args[0], RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char* reason = dlerror();
        event->failed = 1;
        take_plugin_string(event, reason ? reason : "dlopen failed", NULL);
      }
      event->pointer_result = handle;
      break;
    }
    case OSRB_ENTRY_V2:
      event->pointer_result = (void*)((const osr_plugin_api* (*)(const osr_host_api*))job->fn)(ctx);
      break;
    case OSRB_ENTRY_V1:
      event->pointer_result = (void*)((const osr_plugin_api* (*)(void))job->fn)();
      break;
    case OSRB_INIT:
      event->pointer_result = ((osr_init_fn)job->fn)();
      break;
    case OSRB_DESTROY:
      ((osr_destroy_fn)job->fn)(ctx);
      break;
    case OSRB_GET_MANIFEST:
      take_plugin_string(event, ((osr_get_manifest_fn)job->fn)(ctx), job->free_fn);
      break;
    case OSRB_INVOKE:
      take_plugin_string(event, ((osr_invoke_fn)job->fn)(ctx, job->args[0], job->args[1], job->args[2]),
                         job->free_fn);
      break;
    case OSRB_HANDLE_ROUTE:
      take_plugin_string(event, ((osr_handle_route_fn)job->fn)(ctx, job->args[0]), job->free_fn);
      break;
    case OSRB_CONFIG_CHANGED:
      ((osr_on_config_changed_fn)job->fn)(ctx, job->args[0], job->args[1]);
      break;
    case OSRB_TASK_EVENT:
      ((osr_on_task_event_fn)job->fn)(ctx, job->args[0], job->int_arg, job->args[1]);
      break;
    default:
      event->failed = 1;
      take_plugin_string(event, "unknown bridge call kind", NULL);
  }
}

static void* worker_main(void* unused);
static void watch_channel(struct osrb_channel* channel);

/* Runs the job's plugin function on this thread, in the job's frame; the outcome goes into its done event. */
static void run_in_frame(osrb_job* job) {
  frame_plugin = job->plugin;
  frame_id = job->frame_id;
  frame_generation = job->generation;
  frame_job = job;
  run_job(job, &job->done->event);
  frame_plugin = -1;
  frame_id = 0;
  frame_job = NULL;
}

/* Under pool_mutex: a thread counted as coming reached the queue (any wake-up counts: the first to arrive takes the job). */
static void worker_arrived(void) {
  if (workers_coming > 0) workers_coming--;
}

/*
 * Under pool_mutex, after the queue changed: while a job waits, some thread must be on its way to it.
 * The spinner or a worker already coming is enough; otherwise one sleeper is woken (*wake) or, with
 * none, a thread must be started (returns 1). Every thread that takes a job calls this before it runs
 * the job, so each queued job still reaches a thread of its own however many calls ahead of it block,
 * but the caller that queues jobs wakes at most one thread at a time instead of one per job (P185).
 */
static int call_a_worker(int* wake) {
  *wake = 0;
  if (!job_head || spinner_present || workers_coming > 0) return 0;
  workers_coming++;
  if (idle_workers > 0) {
    *wake = 1;
    return 0;
  }
  total_workers++;
  return 1;
}

/* Starts a worker that call_a_worker counted; 0 when the system has no thread for it (uncounted again). */
static int start_worker(void) {
  if (start_detached_thread(worker_main, NULL)) return 1;
  pthread_mutex_lock(&pool_mutex);
  total_workers--;
  worker_arrived();
  pthread_mutex_unlock(&pool_mutex);
  return 0;
}

static void* worker_main(void* unused) {
  (void)unused;
  pthread_mutex_lock(&pool_mutex);
  worker_arrived();
  for (;;) {
    while (!job_head) {
      if (!spinner_present) {
        spinner_present = 1;
        idle_workers++;
        pthread_mutex_unlock(&pool_mutex);
        uint64_t spin_until = monotonic_ns() + OSRB_WORKER_SPIN_NS;
        while (!atomic_load_explicit(&queued_jobs, memory_order_acquire) && monotonic_ns() < spin_until) spin_pause();
        pthread_mutex_lock(&pool_mutex);
        spinner_present = 0;
        idle_workers--;
        if (job_head) break;
      }
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += OSRB_IDLE_SECONDS;
      idle_workers++;
      int rc = pthread_cond_timedwait(&pool_cond, &pool_mutex, &until);
      idle_workers--;
      worker_arrived();
      if (!job_head && rc == ETIMEDOUT && idle_workers >= OSRB_IDLE_WORKERS_KEPT) {
        total_workers--;
        pthread_mutex_unlock(&pool_mutex);
        return NULL;
      }
    }
    osrb_job* job = job_head;
    job_head = job->next;
    if (!job_head) job_tail = NULL;
    queued_jobs--;
    busy_workers++;
    int wake;
    int start = call_a_worker(&wake);
    pthread_mutex_unlock(&pool_mutex);
    if (wake) pthread_cond_signal(&pool_cond);
    if (start) start_worker();

    if (job->kind == OSRB_WATCH_CHANNEL) {
      free(job->done);
      watch_channel(job->channel);
    } else {
      run_in_frame(job);
      osrb_event_node* node = job->done;
      node->event.kind = OSRB_CALL_DONE;
      node->event.plugin = job->plugin;
      node->event.call_id = job->id;
      post_event(node);
    }

    pthread_mutex_lock(&pool_mutex);
    forget_job(job);
    free_job(job);
    busy_workers--;
  }
}

/* A job with copies of its strings and its done event; NULL when out of memory. */
static osrb_job* new_job(int32_t kind, int32_t plugin, uint64_t frame, const char* agent, void* fn, void* free_fn,
                         void* pointer_arg, const char* a0, const char* a1, const char* a2, int32_t int_arg) {
  osrb_job* job = calloc(1, sizeof *job);
  osrb_event_node* done = calloc(1, sizeof *done);
  if (!job || !done) {
    free(job);
    free(done);
    return NULL;
  }
  job->done = done;
  job->kind = kind;
  job->plugin = plugin;
  job->frame_id = frame;
  job->agent = copy_or_null(agent);
  if (plugin >= 0 && plugin < OSRB_MAX_PLUGINS) job->generation = atomic_load(&slot_generation[plugin]);
  job->fn = fn;
  job->free_fn = free_fn;
  job->pointer_arg = pointer_arg;
  job->args[0] = copy_or_null(a0);
  job->args[1] = copy_or_null(a1);
  job->args[2] = copy_or_null(a2);
  job->int_arg = int_arg;
  return job;
}

/* Under pool_mutex: the job gets its call id and counts as live (osrb_abandon_frame finds it) until forget_job. */
static uint64_t make_live(osrb_job* job) {
  job->id = next_call_id++;
  job->live_next = live_jobs;
  if (live_jobs) live_jobs->live_previous = job;
  live_jobs = job;
  return job->id;
}

/* Queues a job for the pool and returns its id; 0 (and the job freed) if no thread could run it. */
static uint64_t queue_job(osrb_job* job) {
  pthread_mutex_lock(&pool_mutex);
  uint64_t id = make_live(job);
  if (job_tail) job_tail->next = job;
  else job_head = job;
  job_tail = job;
  queued_jobs++;
  /* The spinner checks job_head under the lock before it sleeps, so it cannot miss this job. */
  int wake;
  int start = call_a_worker(&wake);
  pthread_mutex_unlock(&pool_mutex);
  /* After unlocking, so the woken worker does not run only to wait for this lock; it rechecks job_head. */
  if (wake) pthread_cond_signal(&pool_cond);

  if (start && !start_worker()) {
    pthread_mutex_lock(&pool_mutex);
    int orphaned = total_workers == 0;
    if (orphaned) {
      /* No worker will ever take it: withdraw the job. */
      osrb_job** link = &job_head;
      osrb_job* previous = NULL;
      while (*link && *link != job) {
        previous = *link;
        link = &(*link)->next;
      }
      if (*link) {
        *link = job->next;
        if (job_tail == job) job_tail = previous;
        queued_jobs--;
      }
      forget_job(job);
    }
    pthread_mutex_unlock(&pool_mutex);
    if (orphaned) {
      free(job->done);
      free_job(job);
      return 0;
    }
  }
  /* The job may already be running and freed: only the id is ours now. */
  return id;
}

/*
 * Queues a plugin call and returns its id (0 if no thread could run it).
 * A CALL_DONE event with that id follows when the plugin function returns.
 */
uint64_t osrb_start(int32_t kind, int32_t plugin, uint64_t frame, const char* agent, void* fn, void* free_fn,
                    void* pointer_arg, const char* a0, const char* a1, const char* a2, int32_t int_arg) {
  osrb_job* job = new_job(kind, plugin, frame, agent, fn, free_fn, pointer_arg, a0, a1, a2, int_arg);
  return job ? queue_job(job) : 0;
}

/* Thread counts, for tests and diagnostics: total, idle, busy, queued. */
void osrb_pool_stats(int32_t* out) {
  pthread_mutex_lock(&pool_mutex);
  out[0] = total_workers;
  out[1] = idle_workers;
  out[2] = busy_workers;
  out[3] = queued_jobs;
  pthread_mutex_unlock(&pool_mutex);
}

/* dlsym is quick and never runs plugin code, so JS calls it directly. */
void* osrb_symbol(void* handle, const char* name) {
  if (!handle || !name) return NULL;
  return dlsym(handle, name);
}

/* ---- remote calls: an isolated plugin's process answers the host below JS --------------------------------
 *
 * A plugin in a process of its own (D21) would otherwise get each invoke as a JSON message on Node's IPC
 * channel: a wake-up and a parse in each process's event loop, both ways. Instead the host and the plugin
 * process share one mapping per process (a memfd the host creates and the process inherits) with a fixed
 * number of call slots, and the process also inherits the write end of the host's wake-up pipe:
 * - the host's JS thread claims a free slot, writes the call into it and wakes the process's watcher;
 * - in the plugin process, a bridge worker watches the channel. It takes a requested slot, hands the
 *   watching to another worker (the call may block), runs the plugin function itself in the call's frame,
 *   writes the answer into the slot (or holds one too large for it, which JS fetches over IPC) and writes
 *   a byte to the host's pipe;
 * - the host's JS, woken as for any bridge event, takes answered slots as CALL_DONE events.
 * JS in the plugin process learns of each call's frame (its agent) from FRAME_OPENED and FRAME_CLOSED
 * events, which wait like records, so host calls from it are attributed and refused as in-process. Linux
 * only (futexes on shared memory); elsewhere osrb_channel_create answers -1 and the host keeps IPC.
 */
#define OSRB_MAX_CHANNELS OSRB_MAX_PLUGINS
/* The watcher spins this long (yielding the core) after each call before it sleeps on the futex. */
#define OSRB_WATCH_SPIN_NS 200000

typedef struct osrb_channel {
  osrb_channel_shared* shared;
  /* Host side, JS thread only: the call id waiting on each slot (0 for none), and how many wait. */
  uint64_t awaiting[OSRB_CHANNEL_SLOTS];
  int32_t awaited;
  /* Plugin-process side: the host's wake-up pipe, and what the watcher calls. */
  int wake_fd;
  int32_t plugin;
  void* invoke_fn;
  void* route_fn;
  void* free_fn;
  void* ctx;
} osrb_channel;

#ifdef __linux__
/* The channels, used from the JS thread only (a plugin process has one; its watchers hold it directly). */
static osrb_channel* channels[OSRB_MAX_CHANNELS];
static int32_t remote_calls_awaited = 0;

static osrb_channel* channel_at(int32_t index) { return index >= 0 && index < OSRB_MAX_CHANNELS ? channels[index] : NULL; }

static int32_t register_channel(osrb_channel* channel) {
  for (int32_t index = 0; index < OSRB_MAX_CHANNELS; index++) {
    if (!channels[index]) {
      channels[index] = channel;
      return index;
    }
  }
  return -1;
}

static void free_channel(osrb_channel* channel) {
  munmap(channel->shared, sizeof(osrb_channel_shared));
  free(channel);
}

static void futex_wake_all(_Atomic uint32_t* word) { syscall(SYS_futex, (uint32_t*)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }

static void futex_wait_while(_Atomic uint32_t* word, uint32_t seen) {
  syscall(SYS_futex, (uint32_t*)word, FUTEX_WAIT, seen, NULL, NULL, 0);
}

/*
 * Host: a new channel. out[0] is the memfd and out[1] the write end of the host's wake-up pipe, both for
 * the plugin process to inherit (JS closes the memfd once the process has it; the pipe stays the bridge's).
 */
int32_t osrb_channel_create(int32_t* out) {
  out[0] = out[1] = -1;
  if (pipe_write_fd < 0) return -1;
  int fd = (int)syscall(SYS_memfd_create, "osr-host-remote-calls", 1u /* MFD_CLOEXEC */);
  if (fd < 0) return -1;
  osrb_channel* channel = calloc(1, sizeof *channel);
  void* mapping = MAP_FAILED;
  if (channel && ftruncate(fd, sizeof(osrb_channel_shared)) == 0) {
    mapping = mmap(NULL, sizeof(osrb_channel_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  int32_t index = -1;
  if (mapping != MAP_FAILED) {
    channel->shared = mapping;
    channel->shared->magic = OSRB_CHANNEL_MAGIC;
    index = register_channel(channel);
    if (index < 0) munmap(mapping, sizeof(osrb_channel_shared));
  }
  if (index < 0) {
    free(channel);
    close(fd);
    return -1;
  }
  out[0] = fd;
  out[1] = pipe_write_fd;
  return index;
}

/*
 * Host: starts `kind` (OSRB_INVOKE or OSRB_HANDLE_ROUTE) on the channel; a CALL_DONE event with the returned
 * id follows. 0 when the channel cannot take it (closed, every slot in use, strings too large): send it another way.
 */
uint64_t osrb_remote_start(int32_t index, int32_t kind, uint64_t frame, const char* agent, const char* a0, const char* a1,
                           const char* a2) {
  osrb_channel* channel = channel_at(index);
  if (!channel || (kind != OSRB_INVOKE && kind != OSRB_HANDLE_ROUTE)) return 0;
  int32_t free_slot = -1;
  for (int32_t i = 0; i < OSRB_CHANNEL_SLOTS && free_slot < 0; i++) {
    if (!channel->awaiting[i] && atomic_load(&channel->shared->slots[i].state) == OSRB_SLOT_FREE) free_slot = i;
  }
  if (free_slot < 0) return 0;
  osrb_channel_slot* slot = &channel->shared->slots[free_slot];
  const char* texts[4] = {agent, a0, a1, a2};
  size_t bytes[4];
  size_t total = 0;
  for (int i = 0; i < 4; i++) {
    bytes[i] = texts[i] ? strlen(texts[i]) + 1 : 0;
    total += bytes[i];
  }
  if (total > OSRB_CHANNEL_SLOT_BYTES) return 0;
  for (int i = 0, at = 0; i < 4; at += (int)bytes[i], i++) {
    memcpy(slot->data + at, texts[i], bytes[i]);
    slot->text_bytes[i] = (uint32_t)bytes[i];
  }
  slot->kind = kind;
  slot->frame_id = frame;
  pthread_mutex_lock(&pool_mutex);
  uint64_t id = next_call_id++;
  pthread_mutex_unlock(&pool_mutex);
  channel->awaiting[free_slot] = id;
  channel->awaited++;
  remote_calls_awaited++;
  atomic_store_explicit(&slot->state, OSRB_SLOT_REQUESTED, memory_order_release);
  atomic_fetch_add(&channel->shared->requests, 1);
  if (atomic_load(&channel->shared->sleepers) > 0) futex_wake_all(&channel->shared->requests);
  return id;
}

/* Host, JS thread: one answered remote call as a CALL_DONE event; 0 when none is answered. */
static int take_remote_answer(osrb_event* out) {
  if (remote_calls_awaited == 0) return 0;
  for (int32_t index = 0; index < OSRB_MAX_CHANNELS; index++) {
    osrb_channel* channel = channels[index];
    if (!channel || channel->awaited == 0) continue;
    for (int32_t i = 0; i < OSRB_CHANNEL_SLOTS; i++) {
      osrb_channel_slot* slot = &channel->shared->slots[i];
      if (!channel->awaiting[i] || atomic_load_explicit(&slot->state, memory_order_acquire) != OSRB_SLOT_DONE) continue;
      memset(out, 0, sizeof *out);
      out->kind = OSRB_CALL_DONE;
      out->plugin = -1;
      out->call_id = channel->awaiting[i];
      /* Read once and checked: the plugin process writes the slot, and it may be hostile. */
      int32_t answer = slot->answer;
      uint64_t bytes = slot->answer_bytes;
      out->int_arg = slot->host_calls_follow != 0;
      out->text_len = bytes;
      if (answer == OSRB_ANSWER_TEXT && bytes < OSRB_CHANNEL_SLOT_BYTES) {
        out->has_text = 1;
        out->text = malloc(bytes + 1);
        if (out->text) {
          memcpy(out->text, slot->data, bytes);
          ((char*)out->text)[bytes] = 0;
        }
      } else if (answer == OSRB_ANSWER_HELD) {
        out->pointer_result = (void*)(uintptr_t)slot->held;
      } else if (answer != OSRB_ANSWER_NULL) {
        out->has_text = 1; /* text NULL: too large, as a local call's string that could not be copied */
      }
      channel->awaiting[i] = 0;
      channel->awaited--;
      remote_calls_awaited--;
      atomic_store_explicit(&slot->state, OSRB_SLOT_FREE, memory_order_release);
      return 1;
    }
  }
  return 0;
}

/* Host: whether the plugin process took call `id` (it runs or ran); 0 while it waits in its slot, or is unknown. */
int32_t osrb_remote_taken(int32_t index, uint64_t id) {
  osrb_channel* channel = channel_at(index);
  for (int32_t i = 0; channel && i < OSRB_CHANNEL_SLOTS; i++) {
    if (channel->awaiting[i] == id) return atomic_load(&channel->shared->slots[i].state) != OSRB_SLOT_REQUESTED;
  }
  return 0;
}

/* Host: the process behind the channel is gone. Calls still waiting get a failed CALL_DONE; the mapping goes. */
void osrb_channel_close(int32_t index) {
  osrb_channel* channel = channel_at(index);
  if (!channel) return;
  channels[index] = NULL;
  for (int32_t i = 0; i < OSRB_CHANNEL_SLOTS; i++) {
    if (!channel->awaiting[i]) continue;
    remote_calls_awaited--;
    osrb_event_node* node = calloc(1, sizeof *node);
    if (!node) continue;
    node->event.kind = OSRB_CALL_DONE;
    node->event.plugin = -1;
    node->event.call_id = channel->awaiting[i];
    node->event.failed = 1;
    take_plugin_string(&node->event, "the plugin process has exited", NULL);
    post_event(node);
  }
  free_channel(channel);
}

/* ---- the plugin process's side ---- */

typedef struct osrb_held_answer {
  uint64_t id;
  char* text;
  uint64_t bytes;
  struct osrb_held_answer* next;
} osrb_held_answer;

static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;
static osrb_held_answer* held_answers = NULL;
static uint64_t last_held_id = 0;

/* Keeps an answer too large for its slot until JS takes it (osrb_channel_take_held); 0 if it could not. */
static uint64_t hold_answer(char* text, uint64_t bytes) {
  osrb_held_answer* held = malloc(sizeof *held);
  if (!held) return 0;
  pthread_mutex_lock(&held_mutex);
  held->id = ++last_held_id;
  held->text = text;
  held->bytes = bytes;
  held->next = held_answers;
  held_answers = held;
  pthread_mutex_unlock(&held_mutex);
  return held->id;
}

/* Plugin process: the held answer `id` (free it with osrb_free) and its length in *bytes; NULL if unknown. */
char* osrb_channel_take_held(uint64_t id, uint64_t* bytes) {
  *bytes = 0;
  char* text = NULL;
  pthread_mutex_lock(&held_mutex);
  for (osrb_held_answer** link = &held_answers; *link; link = &(*link)->next) {
    if ((*link)->id != id) continue;
    osrb_held_answer* held = *link;
    *link = held->next;
    text = held->text;
    *bytes = held->bytes;
    free(held);
    break;
  }
  pthread_mutex_unlock(&held_mutex);
  return text;
}

/* Plugin process: the slot is answered; the host's JS wakes to take it. */
static void finish_slot(osrb_channel* channel, osrb_channel_slot* slot) {
  atomic_store_explicit(&slot->state, OSRB_SLOT_DONE, memory_order_release);
  char byte = 1;
  /* The pipe is non-blocking: if it is full, the host has wake-ups pending anyway. */
  while (write(channel->wake_fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

/* Plugin process: runs the call in slot `index` on this thread, in its frame, and answers it. */
static void answer_remote_call(osrb_channel* channel, int32_t index) {
  osrb_channel_slot* slot = &channel->shared->slots[index];
  const char* texts[4];
  size_t at = 0;
  for (int i = 0; i < 4; i++) {
    texts[i] = slot->text_bytes[i] ? slot->data + at : NULL;
    at += slot->text_bytes[i];
  }
  void* fn = slot->kind == OSRB_HANDLE_ROUTE ? channel->route_fn : channel->invoke_fn;
  osrb_job* job = fn ? new_job(slot->kind, channel->plugin, slot->frame_id, texts[0], fn, channel->free_fn, channel->ctx, texts[1],
                               texts[2], texts[3], 0)
                     : NULL;
  osrb_event_node* opened = job ? calloc(1, sizeof *opened) : NULL;
  if (!opened) {
    /* No function to call, or no memory: the host gets NULL, as from a plugin without the function. */
    if (job) {
      free(job->done);
      free_job(job);
    }
    slot->answer = OSRB_ANSWER_NULL;
    slot->answer_bytes = 0;
    slot->host_calls_follow = 0;
    finish_slot(channel, slot);
    return;
  }
  opened->event.kind = OSRB_FRAME_OPENED;
  opened->event.plugin = channel->plugin;
  opened->event.slot = slot->kind;
  opened->event.frame_id = slot->frame_id;
  take_plugin_string(&opened->event, texts[0], NULL);
  post_event(opened);
  pthread_mutex_lock(&pool_mutex);
  make_live(job);
  pthread_mutex_unlock(&pool_mutex);

  run_in_frame(job);

  pthread_mutex_lock(&pool_mutex);
  forget_job(job);
  pthread_mutex_unlock(&pool_mutex);
  osrb_event_node* node = job->done;
  osrb_event* event = &node->event;
  slot->answer_bytes = event->text_len;
  if (!event->has_text) {
    slot->answer = OSRB_ANSWER_NULL;
  } else if (!event->text) {
    slot->answer = OSRB_ANSWER_LOST;
  } else if (event->text_len < OSRB_CHANNEL_SLOT_BYTES) {
    memcpy(slot->data, event->text, event->text_len + 1);
    slot->answer = OSRB_ANSWER_TEXT;
    free(event->text);
  } else {
    slot->held = hold_answer(event->text, event->text_len);
    slot->answer = slot->held ? OSRB_ANSWER_HELD : OSRB_ANSWER_LOST;
    if (!slot->held) free(event->text);
  }
  slot->host_calls_follow = job->posted_for_js;
  finish_slot(channel, slot);

  /* The frame ends for JS after every event the call posted; if there were any, JS tells the host it has them all. */
  memset(event, 0, sizeof *event);
  event->int_arg = job->posted_for_js;
  event->kind = OSRB_FRAME_CLOSED;
  event->plugin = job->plugin;
  event->slot = job->kind;
  event->frame_id = job->frame_id;
  post_event(node);
  free_job(job);
}

/* Plugin process: queues a job that watches the channel; 0 if no thread could take it. */
static int queue_watcher(osrb_channel* channel) {
  osrb_job* job = new_job(OSRB_WATCH_CHANNEL, channel->plugin, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0);
  if (!job) return 0;
  job->channel = channel;
  return queue_job(job) != 0;
}

/*
 * Plugin process, on a bridge worker: waits for the host's next call on the channel, hands the watching to
 * another worker and runs the call itself, so a call reaches the plugin without a thread hand-off.
 */
static void watch_channel(osrb_channel* channel) {
  osrb_channel_shared* shared = channel->shared;
  for (;;) {
    uint32_t seen = atomic_load(&shared->requests);
    for (int32_t i = 0; i < OSRB_CHANNEL_SLOTS; i++) {
      uint32_t requested = OSRB_SLOT_REQUESTED;
      if (!atomic_compare_exchange_strong(&shared->slots[i].state, &requested, OSRB_SLOT_RUNNING)) continue;
      int handed_over = queue_watcher(channel);
      answer_remote_call(channel, i);
      /* With no other thread to watch, this one goes on watching. */
      if (handed_over) return;
    }
    uint64_t spin_until = monotonic_ns() + OSRB_WATCH_SPIN_NS;
    while (atomic_load(&shared->requests) == seen && monotonic_ns() < spin_until) spin_pause();
    atomic_fetch_add(&shared->sleepers, 1);
    if (atomic_load(&shared->requests) == seen) futex_wait_while(&shared->requests, seen);
    atomic_fetch_sub(&shared->sleepers, 1);
  }
}

/* Plugin process: maps the host's channel from the inherited `fd` (then closed); `wake_fd` is the host's pipe. Its index, or -1. */
int32_t osrb_channel_attach(int32_t fd, int32_t wake_fd) {
  struct stat status;
  void* mapping = MAP_FAILED;
  if (fstat(fd, &status) == 0 && (size_t)status.st_size == sizeof(osrb_channel_shared)) {
    mapping = mmap(NULL, sizeof(osrb_channel_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);
  osrb_channel* channel = mapping == MAP_FAILED ? NULL : calloc(1, sizeof *channel);
  int32_t index = -1;
  if (channel && ((osrb_channel_shared*)mapping)->magic == OSRB_CHANNEL_MAGIC) {
    channel->shared = mapping;
    channel->wake_fd = wake_fd;
    /* Inherited without it: processes the plugin starts must not hold the host's pipe. */
    fcntl(wake_fd, F_SETFD, FD_CLOEXEC);
    channel->plugin = -1;
    index = register_channel(channel);
  }
  if (index < 0) {
    free(channel);
    if (mapping != MAP_FAILED) munmap(mapping, sizeof(osrb_channel_shared));
    close(wake_fd);
  }
  return index;
}

/* Plugin process: the channel's calls run `plugin`'s functions from now on; 0 if it cannot be served. */
int32_t osrb_channel_serve(int32_t index, int32_t plugin, void* invoke_fn, void* route_fn, void* free_fn, void* ctx) {
  osrb_channel* channel = channel_at(index);
  if (!channel || channel->plugin >= 0) return 0;
  /* Set before the first watcher is queued: the pool's lock hands them to it. */
  channel->plugin = plugin;
  channel->invoke_fn = invoke_fn;
  channel->route_fn = route_fn;
  channel->free_fn = free_fn;
  channel->ctx = ctx;
  return queue_watcher(channel);
}
#else
int32_t osrb_channel_create(int32_t* out) {
  out[0] = out[1] = -1;
  return -1;
}
uint64_t osrb_remote_start(int32_t index, int32_t kind, uint64_t frame, const char* agent, const char* a0, const char* a1,
                           const char* a2) {
  (void)index, (void)kind, (void)frame, (void)agent, (void)a0, (void)a1, (void)a2;
  return 0;
}
static int take_remote_answer(osrb_event* out) {
  (void)out;
  return 0;
}
int32_t osrb_remote_taken(int32_t index, uint64_t id) {
  (void)index, (void)id;
  return 0;
}
void osrb_channel_close(int32_t index) { (void)index; }
int32_t osrb_channel_attach(int32_t fd, int32_t wake_fd) {
  close(fd);
  close(wake_fd);
  return -1;
}
int32_t osrb_channel_serve(int32_t index, int32_t plugin, void* invoke_fn, void* route_fn, void* free_fn, void* ctx) {
  (void)index, (void)plugin, (void)invoke_fn, (void)route_fn, (void)free_fn, (void)ctx;
  return 0;
}
char* osrb_channel_take_held(uint64_t id, uint64_t* bytes) {
  (void)id;
  *bytes = 0;
  return NULL;
}
static void watch_channel(struct osrb_channel* channel) { (void)channel; }
#endif
