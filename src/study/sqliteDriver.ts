// The SQLite side of SqlDriver: better-sqlite3, statements prepared once per SQL text.
import type Database from 'better-sqlite3';
import type { SqlDriver, SqlParams } from './sqlDriver';

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get open(): boolean {
    return this.db.open;
  }

  private stmt(sql: string): Database.Statement {
    let st = this.prepared.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.prepared.set(sql, st);
    }
    return st;
  }

  private args(params: SqlParams | undefined): unknown[] {
    if (params === undefined) return [];
    return Array.isArray(params) ? [...(params as unknown[])] : [params];
  }

  run(sql: string, params?: SqlParams): { changes: number } {
    return { changes: this.stmt(sql).run(...this.args(params)).changes };
  }

  insert(sql: string, params?: SqlParams): number {
    return Number(this.stmt(sql).run(...this.args(params)).lastInsertRowid);
  }

  get<T>(sql: string, params?: SqlParams): T | undefined {
    return this.stmt(sql).get(...this.args(params)) as T | undefined;
  }

  all<T>(sql: string, params?: SqlParams): T[] {
    return this.stmt(sql).all(...this.args(params)) as T[];
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  lockStudy(): void {
    // BEGIN IMMEDIATE already holds the database's one write lock.
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
