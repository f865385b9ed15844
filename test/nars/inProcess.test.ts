// NARS in this process (the search loop, the finalize and answer hooks, as the CLI calls them), so
// that the live-tensor count covers every path that loads, trains and scores a predictor: stage
// 1's pretraining, each round's refit and planning, stage 3's genetic search. None may leave a
// tensor alive.
import { pluginStudy } from '../../src/search/setupSearch';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConstraint } from '../../src/cost/constraints';
import { getStrategy } from '../../src/search/registry';
import { runStudy } from '../../src/search/runStudy';
import { StudyStore } from '../../src/study/store';
import { noLeaks } from '../helpers/leakCheck';

test(
  'a NARS study in process: search, finalize (the last refit, --budgets) and study answer leave no tensor alive',
  noLeaks(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-nars-inproc-'));
    const store = StudyStore.open(path.join(dir, 'tsnas.db'));
    try {
      const plugin = getStrategy('nars');
      const given = {
        strategy: 'nars',
        space: 'fbnet-s',
        evaluator: 'synthetic:5',
        trials: 9,
        options: { rounds: 3, pool: 800, pretrainEpochs: 5, headEpochs: 10, fineEpochs: 10, budgets: 'flops<=4M' },
      };
      // The search and the plug-in's finalize (the last refit, stage 2's answer to --budgets).
      const { summary, setup } = await runStudy({ config: { ...given, study: 'p' }, store });
      assert.equal(summary.complete, 9);
      const study = store.requireStudy('p');
      const ctx = {
        store,
        study,
        ...pluginStudy(setup),
        space: setup.space,
        evaluator: setup.evaluator,
        costs: setup.costs,
        constraints: [],
        log: () => {},
      };
      // Finalize again (a resumed or another worker's): nothing left to do, nothing kept alive.
      assert.equal(await plugin.finalize!(ctx), null);
      const answers = await plugin.answerBudgets!({
        ...ctx,
        budgets: [parseConstraint('flops<=4M'), parseConstraint('params<=60K')],
        train: true,
      });
      assert.deepEqual(
        answers.map((a) => [a.budget, a.cached]),
        [
          ['flops<=4M', true],
          ['params<=60K', false],
        ],
      );
      for (const a of answers) assert.ok(Number.isFinite(a.metrics!.accuracy), 'evaluated');
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);
