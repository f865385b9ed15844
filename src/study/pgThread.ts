// The thread that talks to PostgreSQL for a PgDriver (pgDriver.ts): the pg client is asynchronous,
// the store synchronous, so the driver posts each statement here and sleeps on a shared flag until
// the answer is posted back. One connection, so that a transaction's statements share it.
//
// A connection lost outside a transaction (the server restarted) is waited for: the thread
// reconnects every second for up to TSNAS_PG_WAIT_S seconds (default 600) and runs the statement
// again. Lost inside a transaction, the work of that transaction is gone with it: the thread says
// so (lostInTransaction) and the driver runs the transaction again.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';

interface Init {
  url: string;
  connectTimeoutMs: number;
  port: MessagePort;
  flag: SharedArrayBuffer;
}
export interface PgRequest {
  sql: string;
  values?: unknown[];
}
export interface PgReply {
  rows?: Array<Record<string, unknown>>;
  rowCount?: number;
  error?: { message: string; code?: string; lostInTransaction?: boolean };
}

// BIGINT (ids, milliseconds) and COUNT(*) as numbers: they stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

const { url, port, flag, connectTimeoutMs } = workerData as Init;
const done = new Int32Array(flag);
const waitMs = Number(process.env.TSNAS_PG_WAIT_S ?? 600) * 1000;

let client: pg.Client | null = null;
let everConnected = false;
let inTransaction = false;

/** Errors of a connection that is gone or not yet back (not errors of the statement). */
function connectionLost(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|57P0[123])/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  return /Connection terminated|connection error|not queryable|Client was closed|timeout expired/i.test(
    String(e?.message ?? ''),
  );
}

async function connect(): Promise<pg.Client> {
  // A server that accepts the connection and never answers fails the attempt after connectTimeoutMs
  // (without it, connect() would wait forever and every statement with it).
  const c = new pg.Client({
    connectionString: url,
    application_name: 'tsnas',
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // An idle connection dropped by the server is noticed here; the next statement reconnects.
  c.on('error', (err) => {
    if (client !== c) return;
    client = null;
    process.stderr.write(
      `tsnas: lost the connection to PostgreSQL (${err.message}); reconnecting at the next statement\n`,
    );
  });
  // Bytes that came back but never made an answer (another service on the port) are said, not
  // taken for silence.
  let received = 0;
  const stream = (c as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream;
  const count = (d: Buffer) => {
    received += d.length;
  };
  stream.on('data', count);
  try {
    await c.connect();
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    if (received > 0 && /timeout expired/.test(String(e?.message)))
      throw Object.assign(
        new Error(
          `${String(e.message)} (${received} bytes came back, none of them an answer in PostgreSQL's protocol)`,
        ),
        typeof e.code === 'string' ? { code: e.code } : {},
      );
    throw err;
  } finally {
    stream.off('data', count);
  }
  // A statement with parameters goes out in several small writes (parse, bind, execute, sync):
  // with Nagle's algorithm each waited for the server's delayed ACK, ~40 ms a statement.
  (c as unknown as { connection: { stream: { setNoDelay?(on: boolean): void } } }).connection.stream.setNoDelay?.(true);
  return c;
}

async function query(req: PgRequest): Promise<PgReply> {
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      if (!client) client = await connect();
      everConnected = true;
      const r = await client.query(req.sql, req.values);
      const head = req.sql.trimStart().slice(0, 16).toUpperCase();
      if (head.startsWith('BEGIN')) inTransaction = true;
      else if (head.startsWith('COMMIT') || head.startsWith('ROLLBACK') || head.startsWith('END'))
        inTransaction = head.startsWith('ROLLBACK TO') ? inTransaction : false;
      return { rows: r.rows as Array<Record<string, unknown>>, rowCount: r.rowCount ?? 0 };
    } catch (err) {
      if (!connectionLost(err)) throw err;
      const old = client;
      client = null;
      old?.end().catch(() => {});
      if (inTransaction) {
        inTransaction = false;
        return {
          error: {
            message: `lost the connection to PostgreSQL mid-transaction (${(err as Error).message})`,
            lostInTransaction: true,
          },
        };
      }
      // Never connected: a wrong URL or no server, said at once rather than waited for.
      if (!everConnected || Date.now() - started > waitMs) throw err;
      if (!said) {
        process.stderr.write(
          `tsnas: lost the connection to PostgreSQL (${(err as Error).message}); reconnecting for up to ${waitMs / 1000} s\n`,
        );
        said = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

// Statements run one at a time, in the order they came.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: PgRequest | 'close') => {
  chain = chain.then(async () => {
    if (msg === 'close') {
      await client?.end().catch(() => {});
      client = null;
      port.postMessage({ rows: [], rowCount: 0 } satisfies PgReply);
    } else {
      let reply: PgReply;
      try {
        reply = await query(msg);
      } catch (err) {
        const e = err as { message?: unknown; code?: unknown };
        reply = {
          error: { message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) },
        };
      }
      port.postMessage(reply);
    }
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  });
});
parentPort?.postMessage('ready');
