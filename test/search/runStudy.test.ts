// runStudy, the library's one run of a study: created, resumed with a higher target, the typed
// result; a run that fails after creating its study removes the study and the store it made (and
// the directories), so that the same call can be made again; an existing name is a StudyExistsError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStudy } from '../../src/search/runStudy';
import { StudyExistsError, StudyStore } from '../../src/study/store';

const config = { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic:2', trials: 5, seed: 4, study: 'a' };

test('runStudy creates a study, resumes it with more trials, and returns the typed result', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-runstudy-'));
  try {
    const store = path.join(dir, 'tsnas.db');
    const lines: string[] = [];
    const r = await runStudy({ config, store, log: (l) => lines.push(l) });
    assert.equal(r.study, 'a');
    assert.equal(r.store, store);
    assert.equal(r.created, true);
    assert.equal(r.summary.complete, 5);
    assert.equal(r.stopped, 'target');
    assert.equal(r.config.trials, 5);
    assert.ok(r.best && Number.isFinite(r.best.metrics.accuracy));
    assert.equal(r.final, null, 'random without a latency table: no final network');
    assert.equal(r.finalTraining, null);
    assert.match(lines[0]!, /^study 'a' \(.*\): random on fbnet-s/);

    await assert.rejects(runStudy({ config, store }), StudyExistsError);
    const more = await runStudy({ resume: 'a', overrides: { trials: 8 }, store });
    assert.equal(more.created, false);
    assert.equal(more.summary.complete, 8);
    assert.equal(more.config.trials, 8);
    // The first five trials are the same run's: a resume continues, it does not start over.
    const s = StudyStore.open(store, { readonly: true });
    try {
      assert.deepEqual(
        s.trials(s.requireStudy('a').id).map((t) => t.number),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
    } finally {
      s.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runStudy: a run that fails after creating its study leaves nothing behind; bad options are errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-runstudy-'));
  try {
    const store = path.join(dir, 'made', 'tsnas.db');
    // Workers without what starts them: refused once the study exists, which is then removed.
    await assert.rejects(runStudy({ config, store, workers: 2 }), /needs runWorkers/);
    assert.equal(fs.existsSync(store), false, 'the store it made is removed');
    assert.equal(fs.existsSync(path.join(dir, 'made')), false, 'and the directory it made');
    await assert.rejects(runStudy({ store }), /either `config`.*or `resume`/);
    await assert.rejects(runStudy({ config, resume: 'a', store }), /either `config`.*or `resume`/);
    await assert.rejects(runStudy({ resume: 'a', store }), /no study store at .* to resume 'a'/);
    // An open store is the caller's: used, never closed.
    const open = StudyStore.open(':memory:');
    try {
      const r = await runStudy({ config, store: open });
      assert.equal(r.summary.complete, 5);
      assert.equal(open.requireStudy('a').name, 'a');
    } finally {
      open.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
