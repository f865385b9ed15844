// The dashboard over a PostgreSQL store (a throwaway server: test/helpers/postgres.ts) while a
// process writes to it: the list, the grid, and an event pushed when a trial is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
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
    } finally {
      w.close();
      await dash.close();
    }
  },
);
