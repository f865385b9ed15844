// Store addresses are parsed, not guessed (issue 23): a path, sqlite:PATH or postgres(ql)://; any
// other scheme, or a URL-looking typo, is refused naming the forms. Connecting to PostgreSQL has a
// timeout, and every connection error names the store (password hidden), what happened and what to
// try: a server that accepts and never answers, one that answers other bytes, one without SSL when
// the address asks for it, a bad port. The servers are fakes on 127.0.0.1, run on a thread of
// their own (the store waits for PostgreSQL synchronously, so this thread cannot serve them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { StudyStore } from '../../src/study/store';
import { parseStoreLocation, resolveStoreLocation, StoreError } from '../../src/study/storeLocation';
import { tsnasInProcess } from '../helpers/tsnasCli';

test('store addresses: the forms accepted, and anything else refused naming them', () => {
  assert.deepEqual(parseStoreLocation('runs/tsnas.db'), { kind: 'sqlite', file: 'runs/tsnas.db' });
  assert.deepEqual(parseStoreLocation('sqlite:runs/x.db'), { kind: 'sqlite', file: 'runs/x.db' });
  assert.deepEqual(parseStoreLocation('./mysql:x.db'), { kind: 'sqlite', file: './mysql:x.db' });
  assert.deepEqual(parseStoreLocation(':memory:'), { kind: 'sqlite', file: ':memory:' });
  assert.equal(resolveStoreLocation('sqlite:x.db', '/base'), '/base/x.db');
  assert.equal(resolveStoreLocation('postgres://u@h/db', '/base'), 'postgres://u@h/db');
  const pgLoc = parseStoreLocation('postgresql://u:pw@db.lan:5433/tsnas?connect_timeout=3');
  assert.deepEqual(pgLoc, {
    kind: 'postgres',
    url: 'postgresql://u:pw@db.lan:5433/tsnas?connect_timeout=3',
    shown: 'postgresql://u:***@db.lan:5433/tsnas?connect_timeout=3',
    connectTimeoutS: 3,
  });
  const refused: Array<[string, string[]]> = [
    ['mysql://root:secret@127.0.0.1/tsnas', ["'mysql:' is not one of its forms", 'mysql://root:***@127.0.0.1/tsnas']],
    ['http://127.0.0.1:8080/x', ["'http:' is not one of its forms"]],
    [
      'postgres:/user@host/db',
      ["'postgres:' is not one of its forms", 'two slashes after', 'postgres://USER@HOST:PORT/DB'],
    ],
    ['postgresql:user@host/db', ['two slashes after']],
    ['sqlite:', ['names no file', 'sqlite:PATH']],
    ['', ['empty']],
    ['postgres://u:secret@127.0.0.1:99999/db', ["'99999' is not a port number", '1-65535', '5432']],
    ['postgres://u@127.0.0.1:abc/db', ["'abc' is not a port number"]],
    ['postgres://u@127.0.0.1:0/db', ["'0' is not a port number"]],
    ['postgres://u@127.0.0.1/db?connect_timeout=soon', ['connect_timeout=soon is not a number of seconds']],
  ];
  for (const [text, says] of refused) {
    assert.throws(
      () => parseStoreLocation(text),
      (err: Error) => {
        assert.ok(err instanceof StoreError, text);
        for (const w of says) assert.ok(err.message.includes(w), `${text}: no '${w}' in: ${err.message}`);
        assert.ok(!err.message.includes('secret'), `${text}: the password is shown: ${err.message}`);
        if (text !== '' && !text.includes('://u')) assert.ok(err.message.includes('sqlite:PATH'), err.message);
        return true;
      },
    );
  }
  // The library refuses them too, before touching anything.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-store-address-'));
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    assert.throws(() => StudyStore.open('mysql://root@127.0.0.1/tsnas'), /'mysql:' is not one of its forms/);
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A fake server on 127.0.0.1, on a thread of its own: silent, answering garbage, or refusing SSL. */
async function fakeServer(mode: 'silent' | 'garbage' | 'nossl'): Promise<{ port: number; stop(): Promise<void> }> {
  const worker = new Worker(
    `const net = require('node:net');
     const { parentPort, workerData } = require('node:worker_threads');
     const sockets = new Set();
     const server = net.createServer((c) => {
       sockets.add(c);
       c.on('error', () => {});
       if (workerData === 'garbage') c.write(Buffer.from('\\x00\\x01\\x02 not postgres \\xff\\xfe', 'latin1'));
       if (workerData === 'nossl') c.once('data', () => c.write('N'));
     });
     server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
     parentPort.on('message', () => { for (const s of sockets) s.destroy(); server.close(() => process.exit(0)); });`,
    { eval: true, workerData: mode },
  );
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    port,
    stop: async () => {
      worker.postMessage('stop');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

test(
  'PostgreSQL connection errors name the store (password hidden), what happened and what to try; a silent server times out',
  { timeout: 300_000 },
  async () => {
    const cases: Array<{ mode: 'silent' | 'garbage' | 'nossl'; query: string; says: string[] }> = [
      {
        mode: 'silent',
        query: '?connect_timeout=1',
        says: ['no answer from the PostgreSQL server of the study store', 'within 1 s', 'connect_timeout=SECONDS'],
      },
      {
        mode: 'garbage',
        query: '?connect_timeout=1',
        says: ["answered in something other than PostgreSQL's protocol", "PostgreSQL's default is 5432"],
      },
      {
        mode: 'nossl',
        query: '?sslmode=require&connect_timeout=5',
        says: ['does not accept SSL connections', 'remove sslmode from the address'],
      },
    ];
    for (const c of cases) {
      const server = await fakeServer(c.mode);
      try {
        const url = `postgres://tsnas:secret@127.0.0.1:${server.port}/tsnas${c.query}`;
        const shown = `postgres://tsnas:***@127.0.0.1:${server.port}/tsnas`;
        assert.throws(
          () => StudyStore.open(url),
          (err: Error) => {
            assert.ok(err instanceof StoreError, `${c.mode}: ${err.message}`);
            for (const w of [shown, ...c.says])
              assert.ok(err.message.includes(w), `${c.mode}: no '${w}' in: ${err.message}`);
            assert.ok(!err.message.includes('secret'), err.message);
            return true;
          },
        );
        // The store option sets the timeout when the address does not.
        if (c.mode === 'silent')
          assert.throws(
            () => StudyStore.open(`postgres://tsnas@127.0.0.1:${server.port}/tsnas`, { connectTimeoutS: 1 }),
            /no answer from the PostgreSQL server .* within 1 s/,
          );
        // Every command says the same: a read-only one too (it used to hang here).
        const r = await tsnasInProcess(['study', 'list', '--store', url]);
        assert.equal(r.code, 1, r.stderr);
        for (const w of [shown, ...c.says])
          assert.ok(r.stderr.includes(w), `study list, ${c.mode}: no '${w}' in: ${r.stderr}`);
      } finally {
        await server.stop();
      }
    }
  },
);
