// A study store's address, parsed rather than guessed: a file path or sqlite:PATH (SQLite), or
// postgres://USER[:PASSWORD]@HOST[:PORT]/DB (also postgresql://; PostgreSQL). Anything else that
// looks like an address (mysql://..., http://..., the typo postgres:/user@host/db) is refused,
// naming the forms accepted, instead of becoming an SQLite file named like the URL.
import * as path from 'node:path';
import { FieldError } from '../io/fieldError';

/** A study store that cannot be opened, read or written: names the store and says what to do. */
export class StoreError extends FieldError {
  /** The store can still be read (opened `readonly`), though not written. */
  readonly readable: boolean;
  /** The store's address at fault, when known (`value`); the field is always `store`. */
  constructor(message: string, o: { value?: unknown; cause?: unknown; readable?: boolean } = {}) {
    super('store', o.value, message, o.cause !== undefined ? { cause: o.cause } : {});
    this.readable = !!o.readable;
  }
}

/** The forms a store address takes, for messages. */
export const STORE_FORMS =
  'a file path (e.g. runs/tsnas.db), sqlite:PATH, or postgres://USER[:PASSWORD]@HOST[:PORT]/DB (also postgresql://)';

/** Seconds to wait for a PostgreSQL server to accept a connection, unless the address says (connect_timeout=S). */
export const DEFAULT_PG_CONNECT_TIMEOUT_S = 10;

export type StoreLocation =
  | { kind: 'sqlite'; /** The path as given (relative or absolute), or ':memory:'. */ file: string }
  | {
      kind: 'postgres';
      url: string;
      /** The URL without its password, for messages. */
      shown: string;
      /** connect_timeout=S of the URL (libpq's parameter), when given. */
      connectTimeoutS?: number;
    };

/** A store location that names a PostgreSQL database. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/** An address without its password, for messages (any scheme://user:password@...). */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

/**
 * A store address with a relative SQLite path made absolute against base (a PostgreSQL URL and
 * ':memory:' as they are); throws for an address that is none of the forms.
 */
export function resolveStoreLocation(text: string, base: string): string {
  const loc = parseStoreLocation(text);
  if (loc.kind === 'postgres') return loc.url;
  return loc.file === ':memory:' ? loc.file : path.resolve(base, loc.file);
}

/** Parses a store address; throws a StoreError naming the address and the forms accepted. */
export function parseStoreLocation(text: string): StoreLocation {
  if (text.trim() === '')
    throw new StoreError(`the study store's address is empty: give ${STORE_FORMS}`, { value: text });
  if (isPostgresUrl(text)) return parsePostgres(text);
  const sqlite = /^sqlite:(.*)$/is.exec(text);
  if (sqlite) {
    if (sqlite[1]!.trim() === '')
      throw new StoreError(`study store '${text}' names no file: write sqlite:PATH (e.g. sqlite:runs/tsnas.db)`, {
        value: text,
      });
    return { kind: 'sqlite', file: sqlite[1]! };
  }
  // A scheme of two letters or more (one letter would be a drive, C:\...): an address, not a file.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(text);
  if (scheme) {
    const s = scheme[1]!.toLowerCase();
    const hint =
      s === 'postgres' || s === 'postgresql'
        ? `; a PostgreSQL address has two slashes after '${s}:' (${s}://USER@HOST:PORT/DB)`
        : ['sqlite3', 'file'].includes(s)
          ? `; an SQLite store is sqlite:PATH or the path itself`
          : '';
    throw new StoreError(
      `study store '${redactUrl(text)}' is not a store address tsnas knows ('${s}:' is not one of its forms${hint}): ` +
        `give ${STORE_FORMS}${text.includes('//') ? '' : `; a file whose name starts with '${scheme[0]}' is written ./${text}`}`,
    );
  }
  return { kind: 'sqlite', file: text };
}

function parsePostgres(text: string): StoreLocation {
  const shown = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    const port = /^[^:]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):([^/?#]*)/.exec(text)?.[1];
    if (port !== undefined && !isPort(port))
      throw new StoreError(
        `study store ${shown}: '${port}' is not a port number (1-65535; PostgreSQL's default is 5432): ` +
          'write postgres://USER[:PASSWORD]@HOST:PORT/DB, or leave the port out for 5432',
      );
    throw new StoreError(
      `study store ${shown} is not a valid PostgreSQL URL: write postgres://USER[:PASSWORD]@HOST[:PORT]/DB, ` +
        "with special characters of the user and password percent-encoded (e.g. '@' as %40)",
    );
  }
  if (url.port !== '' && !isPort(url.port))
    throw new StoreError(
      `study store ${shown}: '${url.port}' is not a port number (1-65535; PostgreSQL's default is 5432)`,
    );
  const out: StoreLocation = { kind: 'postgres', url: text, shown };
  const t = url.searchParams.get('connect_timeout');
  if (t !== null) {
    const s = Number(t);
    if (!/^\d+(\.\d+)?$/.test(t) || !(s > 0))
      throw new StoreError(
        `study store ${shown}: connect_timeout=${t} is not a number of seconds above 0 (e.g. connect_timeout=30)`,
      );
    out.connectTimeoutS = s;
  }
  return out;
}

const isPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
