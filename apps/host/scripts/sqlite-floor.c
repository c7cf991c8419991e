/*
 * The floor of running a plugin's statement in C on its own thread (decision P195): the bench's one-row
 * query and INSERT through the system SQLite, with the storage engine's pragmas and the reply JSON, no
 * JS anywhere. Usage: sqlite-floor <database file> <calls>; prints
 * {"sqlite":"<version>","query_us":..,"insert_us":..}, microseconds per call.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void must(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  fprintf(stderr, "sqlite-floor: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sqlite-floor <database file> <calls>\n");
    return 2;
  }
  long calls = strtol(argv[2], NULL, 10);
  sqlite3* db;
  must(sqlite3_open(argv[1], &db), db, "open");
  must(sqlite3_exec(db,
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
                    "PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = 5000;"
                    "CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT); INSERT OR REPLACE INTO kv VALUES (1, 'one');",
                    NULL, NULL, NULL),
       db, "set-up");
  sqlite3_stmt *query, *insert;
  must(sqlite3_prepare_v2(db, "SELECT k, v FROM kv WHERE k = 1", -1, &query, NULL), db, "prepare query");
  must(sqlite3_prepare_v2(db, "INSERT INTO kv (v) VALUES ('x')", -1, &insert, NULL), db, "prepare insert");
  char reply[256];

  double start = now_us();
  for (long i = 0; i < calls; i++) {
    int length = snprintf(reply, sizeof reply, "{\"columns\":[\"%s\",\"%s\"],\"rows\":[", sqlite3_column_name(query, 0), sqlite3_column_name(query, 1));
    while (sqlite3_step(query) == SQLITE_ROW) {
      length += snprintf(reply + length, sizeof reply - (size_t)length, "[%lld,\"%s\"]", sqlite3_column_int64(query, 0),
                         (const char*)sqlite3_column_text(query, 1));
    }
    snprintf(reply + length, sizeof reply - (size_t)length, "]}");
    must(sqlite3_reset(query), db, "query");
    free(strdup(reply)); /* the answer a host slot hands the plugin */
  }
  double query_us = (now_us() - start) / (double)calls;

  start = now_us();
  for (long i = 0; i < calls; i++) {
    sqlite3_step(insert);
    must(sqlite3_reset(insert), db, "insert");
    snprintf(reply, sizeof reply, "{\"changes\":%lld,\"last_insert_rowid\":%lld}", (long long)sqlite3_changes(db), sqlite3_last_insert_rowid(db));
    free(strdup(reply));
  }
  double insert_us = (now_us() - start) / (double)calls;

  sqlite3_finalize(query);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  printf("{\"sqlite\":\"%s\",\"query_us\":%.2f,\"insert_us\":%.2f}\n", sqlite3_libversion(), query_us, insert_us);
  return 0;
}
