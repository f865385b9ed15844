// The errors a study store raises about its studies and its location, and SQLite's and
// PostgreSQL's own errors turned into ones that name the store, say what is wrong in words and what
// to do (the CLI words the facts for its terminal: src/cli/errorText.ts).
import * as path from 'node:path';
import { isPostgresUrl } from '../pgDriver';
import { StoreError, STORE_FORMS, type StoreLocation } from '../storeLocation';

/**
 * An error about one study of a store, with the facts a client needs to say what to run next (the
 * CLI turns them into its command line: src/cli/errorText.ts).
 */
export class StudyError extends Error {
  /** What was wrong (the message without the hint). */
  readonly problem: string;
  /** What to do (the message is `problem; hint`). */
  readonly hint: string | undefined;
  readonly study: string | undefined;
  readonly store: string | undefined;
  constructor(problem: string, facts: { hint?: string; study?: string; store?: string } = {}) {
    super(facts.hint ? `${problem}; ${facts.hint}` : problem);
    this.problem = problem;
    this.hint = facts.hint;
    this.study = facts.study;
    this.store = facts.store;
  }
}
/** The study name is taken in the store: resume it, or choose another name. */
export class StudyExistsError extends StudyError {}
export { StoreError, STORE_FORMS };

/** No study of that name in the store. */
export class NoSuchStudyError extends StudyError {}
/** The study has to run further first (resume it). */
export class StudyUnfinishedError extends StudyError {}
/** Another process or workers hold the study. */
export class StudyBusyError extends StudyError {}

/** A study directory that belongs to another study (of another store in the same directory). */
export class StudyDirError extends Error {}

/**
 * An error of SQLite about a store, as one that names the file, says what is wrong in words, and
 * what to do (SQLite's own words kept in parentheses). Other errors are returned unchanged.
 */
export function explainStoreError(file: string, err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return err;
  if (isPostgresUrl(file) || file.startsWith('postgres')) return explainPgError(file, err, code);
  if (!code.startsWith('SQLITE_')) return err;
  const said = `(SQLite: ${err.message}, ${code})`;
  const dir = path.dirname(path.resolve(file));
  let what: string;
  if (code === 'SQLITE_NOTADB')
    what =
      `${file} is not a study store: it is not an SQLite database ${said}; give the file a search wrote ` +
      '(`store` FILE), or a path that does not exist yet to start a new store';
  else if (code.startsWith('SQLITE_READONLY'))
    what =
      `cannot write the study store ${file}: the file or its directory ${dir} is read-only ${said}; a search writes ` +
      'the store and files beside it: give a writable `store` path, or make it writable. Reading works read-only';
  else if (code === 'SQLITE_FULL')
    what = `the disk holding the study store ${file} is full ${said}; free some space, then resume (finished trials are kept)`;
  else if (code.startsWith('SQLITE_IOERR'))
    what =
      `disk I/O error on the study store ${file} ${said}: the disk may be full or failing, or the file on a network ` +
      'filesystem without working locks; check the disk, or copy the store (with its studies/ directory) to a local disk';
  else if (code.startsWith('SQLITE_CORRUPT'))
    what = `the study store ${file} is damaged ${said}; restore it from a copy, or start a new store (\`store\` NEW)`;
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    what = `the study store ${file} stayed locked by another process ${said}; wait for it to finish, then retry`;
  else if (code.startsWith('SQLITE_CANTOPEN'))
    what = `cannot open the study store ${file} ${said}: check that ${dir} exists and can be read (and written, for a search)`;
  else what = `study store ${file}: ${err.message} (${code})`;
  return new StoreError(what, { cause: err, value: file, readable: code.startsWith('SQLITE_READONLY') });
}

/**
 * A failure to connect to a PostgreSQL store, as an error that names the store (password hidden),
 * what happened and what to try.
 */
export function explainPgConnectError(
  loc: Extract<StoreLocation, { kind: 'postgres' }>,
  err: unknown,
  timeoutS: number,
): unknown {
  if (!(err instanceof Error) || err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') {
    const explained = explainPgError(loc.shown, err, code);
    if (explained !== err) return explained;
  }
  let where = 'its host and port';
  try {
    const u = new URL(loc.url);
    where = `${u.hostname || 'localhost'}:${u.port || 5432}`;
  } catch {
    // parsed before: a URL
  }
  const said = `(PostgreSQL client: ${err.message}${typeof code === 'string' && code ? `, ${code}` : ''})`;
  let what: string;
  if (/bytes came back, none of them/.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} answered in something other than PostgreSQL's protocol ${said}: ` +
      "check the port (PostgreSQL's default is 5432): another service listens there";
  else if (/timeout expired|connection timeout|timed out/i.test(err.message))
    what =
      `no answer from the PostgreSQL server of the study store ${loc.shown} within ${timeoutS} s ${said}: something at ${where} ` +
      'accepted the connection (or the network holds it) but never answered; check that the host and port are those of a PostgreSQL server ' +
      'and that nothing between drops its answers, or wait longer: add connect_timeout=SECONDS to the address';
  else if (/does not support SSL/i.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} does not accept SSL connections, and the address asks for them ${said}: ` +
      'remove sslmode from the address (or set sslmode=disable) to connect without SSL, or enable SSL on the server';
  else if (/terminated unexpectedly|unexpected message|Received unexpected|protocol|invalid/i.test(err.message))
    what =
      `the server at ${where} of the study store ${loc.shown} closed the connection or answered in something other than PostgreSQL's protocol ${said}: ` +
      "check the port (PostgreSQL's default is 5432): another service may listen there";
  else
    what = `cannot connect to the PostgreSQL server at ${where} of the study store ${loc.shown} ${said}: check the address and that the server runs`;
  return new StoreError(what, { cause: err });
}

/** An error of PostgreSQL (or of reaching it) about a store, in the same words as SQLite's. */
function explainPgError(url: string, err: Error, code: string): unknown {
  const said = `(PostgreSQL: ${err.message}, ${code})`;
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', '57P03'].includes(code))
    return new StoreError(
      `cannot reach the PostgreSQL server of the study store ${url} ${said}: check that the server runs and the host and port of \`store\` are right`,
      { cause: err },
    );
  if (code === '28P01' || code === '28000')
    return new StoreError(
      `PostgreSQL refused the user of the study store ${url} ${said}: give a user it accepts (postgres://USER:PASSWORD@HOST:PORT/DB)`,
      { cause: err },
    );
  if (code === '3D000')
    return new StoreError(
      `the PostgreSQL database of the study store ${url} does not exist ${said}: create it (createdb NAME) or name another one in \`store\``,
      { cause: err },
    );
  if (code === '42501')
    return new StoreError(
      `the user of the study store ${url} may not create or write its tables ${said}: grant it CREATE and write rights on the database`,
      { cause: err },
    );
  return err;
}
