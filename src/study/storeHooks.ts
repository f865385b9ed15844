// Points in opening, creating and removing a store where tests pause one opener to let another
// run: the races between processes that start together on a new store (or on an old one to
// migrate), forced in a fixed order rather than left to luck. In a test's own process, a hook is a
// function (StoreOptions.hooks); between processes (a test starting `tsnas search`es), the
// environment names the points: TSNAS_TEST_STORE_PAUSE=POINT[,POINT...]@DIR makes the process write
// DIR/POINT.PID when it reaches POINT and wait there until DIR/POINT.go exists. Nothing else reads
// that variable.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StoreHooks {
  /** SQLite: the file is open and nothing is read yet. */
  afterOpenFile?(file: string): void;
  /** SQLite: the schema version was read and needs migrating; the migration's write lock is not taken yet. */
  beforeMigrate?(file: string): void;
  /** SQLite: a new store is made and migrated under a temporary name, not linked into place yet. */
  beforePublish?(file: string): void;
  /** SQLite: a failed command is about to remove the new store it made (closeAndRemoveIfUnused). */
  beforeRemove?(file: string): void;
  /** PostgreSQL: the migration's transaction has begun; its advisory lock is not taken yet. */
  beforeMigrationLock?(store: string): void;
}

export type StorePoint = keyof StoreHooks;

/** How long a paused process waits for its go file before it gives up (a hang guard). */
const PAUSE_LIMIT_MS = 300_000;

/** The hooks TSNAS_TEST_STORE_PAUSE asks for (none when it is not set). */
export function storeHooksFromEnv(env: NodeJS.ProcessEnv = process.env): StoreHooks {
  const spec = env.TSNAS_TEST_STORE_PAUSE;
  if (!spec) return {};
  const at = spec.lastIndexOf('@');
  if (at < 0) throw new Error(`TSNAS_TEST_STORE_PAUSE must be POINT[,POINT...]@DIR, got '${spec}'`);
  const dir = spec.slice(at + 1);
  const hooks: StoreHooks = {};
  for (const point of spec.slice(0, at).split(',') as StorePoint[]) {
    hooks[point] = () => pause(dir, point);
  }
  return hooks;
}

function pause(dir: string, point: string): void {
  fs.writeFileSync(path.join(dir, `${point}.${process.pid}`), '');
  const go = path.join(dir, `${point}.go`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + PAUSE_LIMIT_MS;
  while (!fs.existsSync(go)) {
    if (Date.now() > until) throw new Error(`TSNAS_TEST_STORE_PAUSE: ${go} never appeared`);
    Atomics.wait(sleeper, 0, 0, 20);
  }
}
