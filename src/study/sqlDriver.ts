// The SQL a study store runs, over either database it can live in: SQLite (better-sqlite3, a file
// on this machine) or PostgreSQL (a server every worker reaches). Both are synchronous here, so
// that the store has one implementation and every caller keeps its synchronous calls: PostgreSQL
// is driven from a thread of its own that this one waits on (pgDriver.ts). The store writes SQL
// that both dialects parse: '?' or '@name' parameters (a PostgreSQL driver numbers them), and
// `insert` for a row's new id (lastInsertRowid, RETURNING id).

export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** False once closed. */
  readonly open: boolean;
  run(sql: string, params?: SqlParams): { changes: number };
  /** Runs an INSERT and returns the new row's id. */
  insert(sql: string, params?: SqlParams): number;
  get<T>(sql: string, params?: SqlParams): T | undefined;
  all<T>(sql: string, params?: SqlParams): T[];
  /** Statements without parameters (migrations). */
  exec(sql: string): void;
  /**
   * Runs fn in a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN), nested ones as
   * savepoints. PostgreSQL: a connection lost mid-transaction (a restarted server) rolls it back
   * and runs fn again once the server is back, so fn must do nothing but database work.
   */
  transaction<T>(fn: () => T): T;
  /** Locks the study's row until the transaction ends (PostgreSQL; SQLite's write transaction already excludes others). */
  lockStudy(studyId: number): void;
  close(): void;
}

/** An error that says the connection to the database was lost mid-transaction: redo the work. */
export class ConnectionLostError extends Error {
  readonly retryable = true;
}

/** '?' and '@name' parameters as PostgreSQL's $1, $2, ... with the values in that order. */
export function numberParams(sql: string, params: SqlParams | undefined): { text: string; values: unknown[] } {
  if (params === undefined) return { text: sql, values: [] };
  if (Array.isArray(params)) {
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    if (i !== params.length) throw new Error(`SQL has ${i} parameters, ${params.length} given: ${sql}`);
    return { text, values: [...(params as unknown[])] };
  }
  const named = params as Record<string, unknown>;
  const order: string[] = [];
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    if (!(name in named)) throw new Error(`SQL parameter @${name} not given: ${sql}`);
    let at = order.indexOf(name);
    if (at < 0) at = order.push(name) - 1;
    return `$${at + 1}`;
  });
  return { text, values: order.map((n) => named[n]) };
}
