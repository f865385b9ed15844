// How far an answer extrapolates (src/search/answerRange.ts), on plain trial records: inside the
// evaluated costs it is not extrapolated; below the cheapest (or above the dearest) it is, by the
// relative distance to that trial's cost; the nearest trial is the one with fewest choices apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConstraint } from '../../src/cost/constraints';
import { makeCostModel } from '../../src/cost/costModel';
import { sampleUniformN } from '../../src/arch/sample';
import { formatArch, parseArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import { answerRange, rangeText } from '../../src/search/answerRange';
import type { TrialRecord } from '../../src/study/types';
import type { Arch } from '../../src/space/types';

const space = loadSpace('fbnet-s');
const model = makeCostModel(space);

/** A complete trial of `arch` as the store returns one. */
function trial(number: number, arch: Arch): TrialRecord {
  return {
    id: number + 1,
    studyId: 1,
    number,
    state: 'complete',
    arch: formatArch(space, arch),
    recipe: null,
    searchedRecipe: null,
    space: null,
    source: 'nars-round-1',
    costs: model.costs(arch),
    metrics: { accuracy: 0.5 },
    epochs: [],
    startedAt: 0,
    finishedAt: 0,
    heartbeatAt: null,
    worker: null,
    error: null,
  };
}

const archs = sampleUniformN(space, 40, 3);
const byFlops = [...archs].sort((a, b) => model.costs(a).flops! - model.costs(b).flops!);
// The study "evaluated" the dearer 30: the 10 cheapest are below its range.
const learnt = byFlops.slice(10).map((a, k) => trial(k, a));
const lowest = model.costs(byFlops[10]!).flops!;
const highest = model.costs(byFlops.at(-1)!).flops!;

test('an answer inside the evaluated costs is not extrapolated; its nearest trial is itself when evaluated', () => {
  const answer = byFlops[20]!;
  const budget = parseConstraint(`flops<=${model.costs(answer).flops! + 1}`);
  const r = answerRange({ space, budget, answer, costs: model.costs(answer), learnt });
  assert.equal(r.extrapolated, false);
  assert.equal(r.side, null);
  assert.equal(r.distance, 0);
  assert.equal(r.lowest, lowest);
  assert.equal(r.highest, highest);
  assert.equal(r.learnt, 30);
  assert.equal(r.withinBudget, 11, 'the 11 evaluated at or below the answer');
  assert.deepEqual(r.nearest, { trial: 10, differences: 0, choices: 9 });
  assert.match(
    rangeText(r),
    /^inside what the study evaluated: .* 11 of the 30 trials the predictor learnt from are within the budget/,
  );
});

test('an answer below the cheapest evaluated trial is extrapolated by its relative distance, and the text says so', () => {
  const answer = byFlops[2]!;
  const cost = model.costs(answer).flops!;
  const budget = parseConstraint(`flops<=${cost}`);
  const r = answerRange({ space, budget, answer, costs: model.costs(answer), learnt });
  assert.equal(r.extrapolated, true);
  assert.equal(r.side, 'below');
  assert.ok(cost < lowest);
  assert.ok(Math.abs(r.distance - (lowest - cost) / lowest) < 1e-12);
  assert.equal(r.withinBudget, 0);
  // The nearest by choices: the fewest of the 9 choices apart among the evaluated (first on ties).
  const apart = learnt.map((t) => {
    const a = parseArch(space, t.arch);
    return space.dims.filter((d) => a[d.key] !== answer[d.key]).length;
  });
  const fewest = Math.min(...apart);
  assert.deepEqual(r.nearest, { trial: apart.indexOf(fewest), differences: fewest, choices: 9 });
  const text = rangeText(r);
  assert.match(text, new RegExp(`the study evaluated nothing below ${(lowest / 1e6).toPrecision(3)}M FLOPs`));
  assert.match(text, new RegExp(`extrapolates the predictor ${(100 * r.distance).toFixed(0)}% below that`));
  assert.match(text, /`evaluate` K evaluates K candidates within the budget/);
});

test('above the dearest evaluated trial, and with nothing learnt, an answer is extrapolated too', () => {
  const cheap = learnt.slice(0, 10); // the 10 cheapest evaluated
  const answer = byFlops.at(-1)!;
  const r = answerRange({
    space,
    budget: parseConstraint('flops<=100M'),
    answer,
    costs: model.costs(answer),
    learnt: cheap,
  });
  const top = model.costs(byFlops[19]!).flops!;
  assert.equal(r.side, 'above');
  assert.ok(Math.abs(r.distance - (model.costs(answer).flops! - top) / top) < 1e-12);
  const none = answerRange({
    space,
    budget: parseConstraint('flops<=100M'),
    answer,
    costs: model.costs(answer),
    learnt: [],
  });
  assert.equal(none.extrapolated, true);
  assert.equal(none.nearest, null);
  assert.match(rangeText(none), /learnt from no evaluated trial/);
});
