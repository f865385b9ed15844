// The dashboard over a PostgreSQL store (a throwaway server: test/helpers/postgres.ts) while a
// process writes to it: the list, the grid, and an event pushed when a trial is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startDashboard } from '../../src/dashboard';
import { runStudy } from '../../src/search/runStudy';
import { StudyStore } from '../../src/study/store';
import { testDatabase } from '../helpers/postgres';

/** The first `change` event of a study's stream, after `act` runs with the stream open. */
function nextChange(port: number, study: string, act: () => void): Promise<{ version: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/events/study/${study}` }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        if (text.startsWith('retry:') && !text.includes('event: change') && text.endsWith('\n\n') && !acted) {
          acted = true;
          act();
        }
        const m = /event: change\ndata: (\{.*\})\n\n/.exec(text);
        if (m) {
          resolve(JSON.parse(m[1]!) as { version: number });
          req.destroy();
        }
      });
    });
    let acted = false;
    req.on('error', (e) => (acted ? undefined : reject(e)));
  });
}

test(
  'a PostgreSQL store: its studies, the grid, and a change pushed when a worker writes a trial',
  { timeout: 120_000 },
  async () => {
    const { url } = await testDatabase();
    // A PostgreSQL store's study files are cached under $TSNAS_STUDIES_DIR (else runs/studies here).
    const studies = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-dashboard-pg-'));
    process.env.TSNAS_STUDIES_DIR = studies;
    await runStudy({
      config: { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', trials: 5, study: 'one' },
      store: url,
    });
    const dash = await startDashboard({ store: url, port: 0, pollMs: 200 });
    const w = StudyStore.open(url);
    try {
      const list = await (await fetch(dash.url)).text();
      assert.match(list, /data-study="one"/);
      assert.match(list, /5 of 5 done/);
      const grid = (await (await fetch(`${dash.url}api/study/one/trials?sort=number&dir=asc`)).json()) as {
        total: number;
        rows: Array<{ number: number }>;
      };
      assert.equal(grid.total, 5);
      assert.deepEqual(
        grid.rows.map((r) => r.number),
        [0, 1, 2, 3, 4],
      );
      const s = w.requireStudy('one');
      const change = await nextChange(dash.port, 'one', () => {
        const t = w.createTrial(s.id, { arch: 'ir_k3_e1/skip-skip/skip-skip-skip/skip-skip-skip', source: 'beside' });
        w.completeTrial(t.id, { accuracy: 0.5 });
      });
      assert.ok(change.version >= 2);
      const after = (await (await fetch(`${dash.url}api/study/one/trials?q=beside`)).json()) as {
        total: number;
        rows: Array<{ number: number; state: string }>;
      };
      assert.equal(after.total, 6);
      assert.deepEqual(
        after.rows.map((r) => [r.number, r.state]),
        [[5, 'complete']],
      );
      // A file the study keeps in the store (PostgreSQL's default): listed on its trial's page, served as stored.
      const t0 = w.trialByNumber(s.id, 0)!;
      w.files('one').put('checkpoints/t0/weights.bin', Buffer.from([1, 2, 3, 250]), t0.id);
      const trialPage = await (await fetch(`${dash.url}study/one/trial/0`)).text();
      assert.match(trialPage, /href="\/study\/one\/files\/checkpoints\/t0\/weights\.bin"/);
      const file = await fetch(`${dash.url}study/one/files/checkpoints/t0/weights.bin`);
      assert.equal(file.status, 200);
      assert.deepEqual([...new Uint8Array(await file.arrayBuffer())], [1, 2, 3, 250]);
      // Sent as written (fetch would resolve the dots before sending).
      const refused = await new Promise<number>((resolve, reject) =>
        http
          .get({ host: '127.0.0.1', port: dash.port, path: '/study/one/files/checkpoints/%2e%2e/%2e%2e/x' }, (res) => {
            res.resume();
            resolve(res.statusCode!);
          })
          .on('error', reject),
      );
      assert.equal(refused, 400);
    } finally {
      w.close();
      await dash.close();
      delete process.env.TSNAS_STUDIES_DIR;
      fs.rmSync(studies, { recursive: true, force: true });
    }
  },
);
