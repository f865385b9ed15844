// `evaluate` K through the answer hook (what `tsnas study answer --evaluate K` calls), on a table
// whose study was kept above some FLOPs by its window: the answer to a budget below says it
// extrapolates, and by how much against the study's trials; evaluate K records K trials within
// the budget (source answer:<budget>), refits, and answers within the budget from inside the
// evaluated range; asked again it evaluates nothing; killed between trials and with a trial left
// running, a rerun evaluates only what is missing; a bad K is a FieldError on `evaluate`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConstraint } from '../../src/cost/constraints';
import { makeCostModel } from '../../src/cost/costModel';
import { syntheticFunction } from '../../src/evaluate/synthetic';
import { sampleUniformN } from '../../src/arch/sample';
import { formatArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import { FieldError } from '../../src/io/fieldError';
import { getStrategy } from '../../src/search/registry';
import { runStudy } from '../../src/search/runStudy';
import { pluginStudy } from '../../src/search/setupSearch';
import type { AnswerContext } from '../../src/search/strategyPlugin';
import { ANSWER_REFINEMENTS } from '../../src/search/nars/answerRefine';
import type { Evaluator } from '../../src/evaluate/evaluator';
import { StudyStore } from '../../src/study/store';
import { isInterrupted } from '../../src/study/types';
import { noLeaks } from '../helpers/leakCheck';
import { tsnas } from '../helpers/tsnasCli';

const space = loadSpace('fbnet-s');
const plugin = getStrategy('nars');
let dir: string;
let tableFile: string;
let floor: number;
const table: Record<string, Record<string, number>> = {};

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-answer-refine-'));
  const fn = syntheticFunction(space, 7);
  const model = makeCostModel(space);
  for (const a of sampleUniformN(space, 300, 5)) {
    const c = model.costs(a);
    table[formatArch(space, a)] = { val_acc: fn.accuracy(a), flops: c.flops!, params: c.params! };
  }
  const flops = Object.values(table)
    .map((r) => r.flops!)
    .sort((a, b) => a - b);
  floor = flops[Math.floor(flops.length * 0.5)]!; // the study evaluates only the dearer half
  tableFile = path.join(dir, 'table.json');
  fs.writeFileSync(tableFile, JSON.stringify(table));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A finished NARS study of the table above `floor`, and the answer hook's context for it. */
async function study(store: StudyStore, name: string): Promise<Omit<AnswerContext, 'budgets' | 'train'>> {
  const { setup } = await runStudy({
    config: {
      strategy: 'nars',
      space: 'fbnet-s',
      evaluator: `table:${tableFile}`,
      metrics: { accuracy: 'val_acc' },
      trials: 12,
      study: name,
      options: { rounds: 3, window: `flops>=${floor}`, pretrainEpochs: 10, headEpochs: 20, fineEpochs: 20 },
    },
    store,
  });
  return {
    ...pluginStudy(setup),
    store,
    study: store.requireStudy(name),
    space: setup.space,
    evaluator: setup.evaluator,
    costs: setup.costs,
    constraints: setup.constraints,
    log: () => {},
  };
}

/** The evaluator with a count of its evaluations. */
function counting(e: Evaluator): { evaluator: Evaluator; calls: () => number } {
  let n = 0;
  const evaluator = Object.create(e) as Evaluator;
  evaluator.evaluate = (job) => {
    n++;
    return e.evaluate(job);
  };
  return { evaluator, calls: () => n };
}

test(
  'below the evaluated range: the answer says how far it extrapolates; evaluate K records K trials, answers within the budget from inside the range, and asked again evaluates nothing',
  noLeaks(async () => {
    const store = StudyStore.open(path.join(dir, 'a.db'));
    try {
      const ctx = await study(store, 'a');
      const trials = store.trials(ctx.study.id);
      const lowest = Math.min(...trials.map((t) => t.costs.flops!));
      assert.ok(lowest >= floor, 'the window kept the study above the floor');
      const budget = parseConstraint(`flops<=${Math.round(floor * 0.6)}`);
      const inside = parseConstraint(`flops<=${Math.max(...trials.map((t) => t.costs.flops!))}`);
      const [below, within] = await plugin.answerBudgets!({ ...ctx, budgets: [budget, inside], train: false });
      // Below: extrapolated, by the answer's cost against the cheapest trial the study evaluated.
      assert.equal(below!.range!.extrapolated, true);
      assert.equal(below!.range!.side, 'below');
      assert.equal(below!.range!.lowest, lowest);
      assert.equal(below!.range!.learnt, 12);
      assert.equal(below!.range!.withinBudget, 0);
      assert.ok(Math.abs(below!.range!.distance - (lowest - below!.costs.flops!) / lowest) < 1e-12);
      assert.equal(below!.evaluations, 0);
      // Inside: an answer whose cost lies among the evaluated is not extrapolated.
      const c = within!.costs.flops!;
      assert.equal(within!.range!.extrapolated, c < lowest, `answer at ${c}, lowest evaluated ${lowest}`);

      const { evaluator, calls } = counting(ctx.evaluator);
      const [refined] = await plugin.answerBudgets!({
        ...ctx,
        evaluator,
        budgets: [budget],
        train: false,
        evaluate: 5,
      });
      const mine = store.trials(ctx.study.id).filter((t) => t.source === `answer:${budget.text}`);
      assert.equal(mine.length, 5, 'K trials of the study');
      assert.equal(calls(), 5);
      for (const t of mine) {
        assert.equal(t.state, 'complete');
        assert.ok(t.costs.flops! <= budget.max, 'each within the budget');
        assert.equal(t.metrics.accuracy, table[t.arch]!.val_acc);
      }
      assert.equal(new Set(mine.map((t) => t.arch)).size, 5, 'distinct candidates');
      // The answer again, from the budget's own refit: within the budget, no longer extrapolated.
      assert.ok(refined!.costs.flops! <= budget.max);
      assert.ok(refined!.arch in table);
      assert.equal(refined!.evaluations, 5);
      assert.equal(refined!.range!.learnt, 17, "stage 2's 12 and the budget's 5");
      assert.equal(refined!.range!.extrapolated, refined!.costs.flops! < Math.min(...mine.map((t) => t.costs.flops!)));
      assert.equal(refined!.range!.withinBudget, 5);
      assert.match(refined!.detail, /refit on 5 evaluation\(s\) within the budget/);
      const rec = store.getState(ctx.study.id, ANSWER_REFINEMENTS)![budget.text]!;
      // Rounds of at most ceil(K / 4) candidates, each refit before the next is picked.
      assert.deepEqual(
        rec.rounds.map((r) => [r.candidates.length, r.refit !== null]),
        [
          [2, true],
          [2, true],
          [1, true],
        ],
      );
      // Asked again with the same K: nothing evaluated, the same answer read back.
      const [again] = await plugin.answerBudgets!({ ...ctx, evaluator, budgets: [budget], train: false, evaluate: 5 });
      assert.equal(calls(), 5, 'no new evaluation');
      assert.equal(store.trials(ctx.study.id).length, 17);
      assert.equal(again!.arch, refined!.arch);
      assert.equal(again!.cached, true);
      // Without `evaluate`, the budget is still answered by its refit.
      const [plain] = await plugin.answerBudgets!({ ...ctx, budgets: [budget], train: false });
      assert.equal(plain!.arch, refined!.arch);
      assert.equal(plain!.evaluations, 5);
    } finally {
      store.close();
    }
  }),
);

test(
  'killed between trials and with a trial left running: a rerun evaluates only the missing candidates, once each',
  noLeaks(async () => {
    const store = StudyStore.open(path.join(dir, 'b.db'));
    try {
      const ctx = await study(store, 'b');
      const budget = parseConstraint(`flops<=${Math.round(floor * 0.7)}`);
      const source = `answer:${budget.text}`;
      // The process "dies" after its third trial is logged.
      let logged = 0;
      await assert.rejects(
        plugin.answerBudgets!({
          ...ctx,
          budgets: [budget],
          train: false,
          evaluate: 8,
          log: (line) => {
            if (line.startsWith('trial') && ++logged === 3) throw new Error('killed');
          },
        }),
        /killed/,
      );
      assert.equal(store.trials(ctx.study.id).filter((t) => t.source === source).length, 3);
      // ... and a crash left the next planned candidate running.
      const rec = store.getState(ctx.study.id, ANSWER_REFINEMENTS)![budget.text]!;
      const done = new Set(store.trials(ctx.study.id).map((t) => t.arch));
      const next = rec.rounds.flatMap((r) => r.candidates).find((c) => !done.has(c.arch));
      assert.ok(next, "round 2's second candidate is planned and not evaluated");
      store.createTrial(ctx.study.id, { arch: next.arch, source, costs: { flops: table[next.arch]!.flops! } });
      const { evaluator, calls } = counting(ctx.evaluator);
      const [a] = await plugin.answerBudgets!({ ...ctx, evaluator, budgets: [budget], train: false, evaluate: 8 });
      assert.equal(calls(), 5, 'the 5 missing evaluations only');
      const mine = store.trials(ctx.study.id).filter((t) => t.source === source);
      const settled = mine.filter((t) => t.state === 'complete');
      assert.equal(settled.length, 8);
      assert.equal(new Set(settled.map((t) => t.arch)).size, 8, 'no candidate evaluated twice');
      const nextArch = next.arch;
      const left = mine.filter((t) => t.arch === nextArch);
      assert.equal(left.length, 2, 'the interrupted trial and its re-evaluation');
      assert.ok(isInterrupted(left[0]!));
      assert.equal(left[1]!.state, 'complete');
      assert.ok(a!.costs.flops! <= budget.max);
      assert.equal(a!.evaluations, 8);
      // A larger K later adds what it lacks.
      await plugin.answerBudgets!({ ...ctx, evaluator, budgets: [budget], train: false, evaluate: 10 });
      assert.equal(calls(), 7);
      assert.equal(store.trials(ctx.study.id).filter((t) => t.source === source && t.state === 'complete').length, 10);
    } finally {
      store.close();
    }
  }),
);

test('a bad K is a FieldError on `evaluate`, before any work; the CLI names --evaluate', async () => {
  const store = StudyStore.open(path.join(dir, 'c.db'));
  try {
    const ctx = await study(store, 'c');
    const n = store.trials(ctx.study.id).length;
    for (const k of [0, -2, 2.5, NaN]) {
      await assert.rejects(
        plugin.answerBudgets!({ ...ctx, budgets: [parseConstraint('flops<=3M')], train: false, evaluate: k }),
        (err: unknown) => {
          assert.ok(err instanceof FieldError, String(err));
          assert.equal(err.field, 'evaluate');
          assert.match(
            err.message,
            /`evaluate` is the number of candidates to evaluate within each budget, a whole number of at least 1/,
          );
          return true;
        },
      );
    }
    assert.equal(store.trials(ctx.study.id).length, n, 'nothing evaluated');
  } finally {
    store.close();
  }
  const r = tsnas([
    'study',
    'answer',
    'c',
    '--store',
    path.join(dir, 'c.db'),
    '--budget',
    'flops<=3M',
    '--evaluate',
    '0',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--evaluate is the number of candidates to evaluate within each budget/);
  assert.doesNotMatch(r.stderr, /`evaluate`/);
  // The terminal says how far an answer extrapolates, and how to close the gap, in flags; --json has the range.
  const budget = `flops<=${Math.round(floor * 0.6)}`;
  const text = tsnas(['study', 'answer', 'c', '--store', path.join(dir, 'c.db'), '--budget', budget]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /the study evaluated nothing below [0-9.]+M FLOPs \(the cheapest of the 12 trials the predictor learnt from\); this answer \([0-9.]+M FLOPs\) extrapolates the predictor [0-9]+% below that/,
  );
  assert.match(text.stdout, /--evaluate K evaluates K candidates within the budget/);
  const json = tsnas(['study', 'answer', 'c', '--store', path.join(dir, 'c.db'), '--budget', budget, '--json']);
  const [answer] = JSON.parse(json.last).answers;
  assert.equal(answer.range.extrapolated, true);
  assert.equal(answer.range.side, 'below');
  assert.ok(answer.range.distance > 0);
  assert.equal(answer.evaluations, 0);
});
