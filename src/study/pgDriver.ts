// The PostgreSQL side of SqlDriver, synchronous: each statement goes to a thread running the pg
// client (pgThread.ts), and this thread sleeps (Atomics.wait) until the answer is back. A search
// process spends its time in evaluations, not in the store, so the wait costs it nothing it could
// have used; in exchange the store has one implementation for both databases.
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ConnectionLostError, numberParams, type SqlDriver, type SqlParams } from './sqlDriver';
import type { PgReply } from './pgThread';

/** How many times a transaction whose connection was lost is run again before giving up. */
const TRANSACTION_RETRIES = 5;

export class PgDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly done: Int32Array;
  private depth = 0;
  private closed = false;

  /** connectTimeoutMs: how long to wait for the server to accept a connection (each reconnection too). */
  constructor(
    readonly url: string,
    connectTimeoutMs: number,
  ) {
    const flag = new SharedArrayBuffer(4);
    this.done = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(path.join(__dirname, 'pgThread.js'), {
      workerData: { url, port: port2, flag, connectTimeoutMs },
      transferList: [port2],
    });
    // The thread must not keep a finished process alive.
    this.worker.unref();
    port1.unref();
  }

  /** A driver connected to the database (its first statement connects; a failure is thrown, not waited for). */
  static connect(url: string, shown: string, connectTimeoutMs: number): PgDriver {
    const d = new PgDriver(url, connectTimeoutMs);
    try {
      d.get('SELECT 1');
    } catch (err) {
      d.close();
      throw Object.assign(err as Error, { store: shown });
    }
    return d;
  }

  get open(): boolean {
    return !this.closed;
  }

  private call(message: unknown): PgReply {
    if (this.closed) throw new Error('the study store is closed');
    Atomics.store(this.done, 0, 0);
    this.port.postMessage(message);
    while (Atomics.load(this.done, 0) === 0) Atomics.wait(this.done, 0, 0, 1000);
    const got = receiveMessageOnPort(this.port) as { message: PgReply } | undefined;
    if (!got) throw new Error('the PostgreSQL thread gave no answer');
    return got.message;
  }

  private query(sql: string, params?: SqlParams): PgReply {
    const { text, values } = numberParams(sql, params);
    const r = this.call({ sql: text, values });
    if (r.error) {
      if (r.error.lostInTransaction) throw new ConnectionLostError(r.error.message);
      throw Object.assign(new Error(r.error.message), r.error.code ? { code: r.error.code } : {});
    }
    return r;
  }

  run(sql: string, params?: SqlParams): { changes: number } {
    return { changes: this.query(sql, params).rowCount ?? 0 };
  }

  insert(sql: string, params?: SqlParams): number {
    const r = this.query(`${sql} RETURNING id`, params);
    return Number(r.rows![0]!.id);
  }

  get<T>(sql: string, params?: SqlParams): T | undefined {
    return this.query(sql, params).rows![0] as T | undefined;
  }

  all<T>(sql: string, params?: SqlParams): T[] {
    return this.query(sql, params).rows as T[];
  }

  exec(sql: string): void {
    this.query(sql);
  }

  transaction<T>(fn: () => T): T {
    if (this.depth > 0) {
      const sp = `tsnas_sp${this.depth}`;
      this.exec(`SAVEPOINT ${sp}`);
      this.depth++;
      try {
        const r = fn();
        this.exec(`RELEASE SAVEPOINT ${sp}`);
        return r;
      } catch (err) {
        if (!(err instanceof ConnectionLostError)) this.exec(`ROLLBACK TO SAVEPOINT ${sp}`);
        throw err;
      } finally {
        this.depth--;
      }
    }
    for (let attempt = 0; ; attempt++) {
      this.exec('BEGIN');
      this.depth = 1;
      try {
        const r = fn();
        this.exec('COMMIT');
        return r;
      } catch (err) {
        if (err instanceof ConnectionLostError) {
          if (attempt < TRANSACTION_RETRIES) continue;
          throw err;
        }
        try {
          this.exec('ROLLBACK');
        } catch {
          // the error that matters is fn's
        }
        throw err;
      } finally {
        this.depth = 0;
      }
    }
  }

  lockStudy(studyId: number): void {
    this.get('SELECT id FROM studies WHERE id = ? FOR UPDATE', [studyId]);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call('close');
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}

export { isPostgresUrl, redactUrl } from './storeLocation';
