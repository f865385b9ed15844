// A PostgreSQL database for the store tests. scripts/test.sh (through scripts/with-postgres.sh)
// starts a throwaway server and exports its URL as TSNAS_TEST_POSTGRES; run alone, a test file
// starts one the same way for itself (and stops it when the file's tests end). Each caller gets a
// database of its own on that server, so that test files never see each other's studies.
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { after } from 'node:test';
import pg from 'pg';
import { PACKAGE_ROOT } from './tsnasCli';

let server: Promise<{ url: string; ctl: string }> | null = null;
let child: ChildProcess | null = null;

function startServer(): Promise<{ url: string; ctl: string }> {
  if (process.env.TSNAS_TEST_POSTGRES)
    return Promise.resolve({ url: process.env.TSNAS_TEST_POSTGRES, ctl: process.env.TSNAS_TEST_POSTGRES_CTL ?? '' });
  return new Promise((resolve, reject) => {
    // The script runs a shell that prints the URL and waits for its stdin to close.
    child = spawn(
      'bash',
      [
        path.join(PACKAGE_ROOT, 'scripts', 'with-postgres.sh'),
        'bash',
        '-c',
        'echo "$TSNAS_TEST_POSTGRES|$TSNAS_TEST_POSTGRES_CTL"; cat >/dev/null',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`scripts/with-postgres.sh ended (exit ${code}) before the server was up`)),
    );
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      const [url, ctl] = line.split('|');
      resolve({ url: url!, ctl: ctl ?? '' });
    });
  });
}

// The server lives as long as the test file: a hook registered inside startServer would belong to
// the test that first asked for a database and stop the server under the next one.
after(() => {
  child?.stdin?.end();
});

/** A fresh database on the test server: its URL, and the command prefix that runs pg_ctl on the server. */
export async function testDatabase(): Promise<{ url: string; ctl: string }> {
  server ??= startServer();
  const { url, ctl } = await server;
  const name = `tsnas_test_${crypto.randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  return { url: url.replace(/\/[^/]*$/, `/${name}`), ctl };
}
