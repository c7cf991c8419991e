import type { HostDatabase } from '@osr-host/storage';
import { and, asc, desc, eq, inArray, max, sql } from 'drizzle-orm';
import type { ChatMessage } from './chat.js';
import { DispatchError } from './errors.js';
import { dispatchMessages, dispatchSessions, dispatchTasks } from './schema.js';
import { UNFINISHED_STATUSES } from './task.js';

/** A task run as `osr-host tasks list` shows it. */
export interface TaskRecord {
  taskId: string;
  pluginId: string;
  agentId: string;
  title: string;
  /** `queued`, `running`, `awaiting_clarification`, `completed`, `failed`, `cancelled` or `interrupted` (the host stopped first). */
  status: string;
  summary: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Sessions, their messages and task runs in the host database. */
export class SessionStore {
  constructor(private readonly db: HostDatabase) {
    const migrated = db.$client
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dispatch_sessions'")
      .get();
    if (!migrated) {
      throw new DispatchError(
        'not_migrated',
        'The host database has no dispatch tables: open it with openHostDatabase(path, { migrations: [dispatchMigrations] }).',
      );
    }
  }

  /** The newest session of this plugin and agent under `key`, if any (a key of another agent misses). */
  findByKey(pluginId: string, agentId: string, key: string): string | undefined {
    return this.db
      .select({ id: dispatchSessions.id })
      .from(dispatchSessions)
      .where(and(eq(dispatchSessions.pluginId, pluginId), eq(dispatchSessions.agentId, agentId), eq(dispatchSessions.sessionKey, key)))
      .orderBy(desc(dispatchSessions.updatedAt), desc(sql`rowid`))
      .limit(1)
      .get()?.id;
  }

  exists(id: string): boolean {
    return this.db.select({ id: dispatchSessions.id }).from(dispatchSessions).where(eq(dispatchSessions.id, id)).get() !== undefined;
  }

  create(id: string, pluginId: string, agentId: string, key: string | null): void {
    const now = new Date().toISOString();
    this.db.insert(dispatchSessions).values({ id, pluginId, agentId, sessionKey: key, createdAt: now, updatedAt: now }).run();
  }

  messages(sessionId: string): ChatMessage[] {
    return this.db
      .select({ message: dispatchMessages.message })
      .from(dispatchMessages)
      .where(eq(dispatchMessages.sessionId, sessionId))
      .orderBy(asc(dispatchMessages.seq))
      .all()
      .map((row) => JSON.parse(row.message) as ChatMessage);
  }

  append(sessionId: string, messages: readonly ChatMessage[]): void {
    if (messages.length === 0) return;
    this.db.transaction((tx) => {
      const last = tx.select({ seq: max(dispatchMessages.seq) }).from(dispatchMessages).where(eq(dispatchMessages.sessionId, sessionId)).get();
      let seq = last?.seq ?? 0;
      for (const message of messages) {
        tx.insert(dispatchMessages).values({ sessionId, seq: ++seq, message: JSON.stringify(message) }).run();
      }
      tx.update(dispatchSessions).set({ updatedAt: new Date().toISOString() }).where(eq(dispatchSessions.id, sessionId)).run();
    });
  }

  /** Starts a task-run row; returns its key for `updateRun`. */
  startRun(taskId: string, pluginId: string, agentId: string, title: string): number {
    const now = new Date().toISOString();
    const row = this.db
      .insert(dispatchTasks)
      .values({ taskId, pluginId, agentId, title, status: 'queued', summary: null, createdAt: now, updatedAt: now })
      .returning({ run: dispatchTasks.run })
      .get();
    return row.run;
  }

  updateRun(run: number, status: string, summary: string | null): void {
    this.db.update(dispatchTasks).set({ status, summary, updatedAt: new Date().toISOString() }).where(eq(dispatchTasks.run, run)).run();
  }

  /** Runs a previous host process left active: they cannot continue, so they are marked `interrupted`. */
  closeOrphanedRuns(): void {
    this.db
      .update(dispatchTasks)
      .set({ status: 'interrupted', summary: 'The host stopped before the task finished.', updatedAt: new Date().toISOString() })
      .where(inArray(dispatchTasks.status, [...UNFINISHED_STATUSES]))
      .run();
  }

  /** The newest task runs first. */
  recentRuns(limit: number): TaskRecord[] {
    return this.selectRuns().orderBy(desc(dispatchTasks.run)).limit(limit).all();
  }

  /** One task's run, whichever host process ran it; undefined when none has that id. */
  run(taskId: string): TaskRecord | undefined {
    return this.selectRuns().where(eq(dispatchTasks.taskId, taskId)).get();
  }

  private selectRuns() {
    return this.db
      .select({
        taskId: dispatchTasks.taskId,
        pluginId: dispatchTasks.pluginId,
        agentId: dispatchTasks.agentId,
        title: dispatchTasks.title,
        status: dispatchTasks.status,
        summary: dispatchTasks.summary,
        createdAt: dispatchTasks.createdAt,
        updatedAt: dispatchTasks.updatedAt,
      })
      .from(dispatchTasks)
      .$dynamic();
  }
}
