// A trial's identity is its architecture, the recipe fields searched with it and the space it was
// drawn from: a joint architecture-recipe strategy sees the same architecture with another recipe
// as new, and a strategy drawing from a changed space records that space in the trial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCostModel } from '../../src/cost/costModel';
import { createSyntheticEvaluator } from '../../src/evaluate/synthetic';
import { defaultArch, formatArch } from '../../src/space/archFormat';
import { loadSpace } from '../../src/space/registry';
import { runSearch } from '../../src/study/runSearch';
import { StudyStore } from '../../src/study/store';
import type { AskContext, Proposal, Strategy } from '../../src/study/strategy';
import { trialKey, canonicalJson } from '../../src/study/types';

const space = loadSpace('fbnet-s');

test('trialKey: the architecture alone for a plain search; recipe (key order ignored) and space make it distinct', () => {
  assert.equal(trialKey({ arch: 'a' }), 'a');
  assert.equal(trialKey({ arch: 'a', searchedRecipe: null, space: null }), 'a');
  const r1 = trialKey({ arch: 'a', searchedRecipe: { lr: 0.1, ema: true } });
  assert.equal(
    r1,
    trialKey({ arch: 'a', searchedRecipe: { ema: true, lr: 0.1 } }),
    'the same recipe written in another key order',
  );
  assert.notEqual(r1, trialKey({ arch: 'a', searchedRecipe: { lr: 0.2, ema: true } }));
  assert.notEqual(trialKey({ arch: 'a', space: 'round-1' }), trialKey({ arch: 'a', space: 'round-2' }));
  assert.equal(
    canonicalJson({ b: { d: 1, c: 2 }, a: [3, { f: 1, e: 2 }] }),
    '{"a":[3,{"e":2,"f":1}],"b":{"c":2,"d":1}}',
  );
});

/** Proposes one architecture with recipes A, B, then A again, each from a named space; records what it saw. */
class JointToy implements Strategy {
  readonly name = 'joint-toy';
  readonly seenBefore: boolean[] = [];
  private readonly plan = [{ lr: 0.1 }, { lr: 0.2 }, { lr: 0.1 }];
  ask(ctx: AskContext): Proposal | null {
    const recipe = this.plan[ctx.index];
    if (!recipe) return null;
    const arch = defaultArch(ctx.space);
    const spaceRef = `round-${ctx.index === 2 ? 1 : ctx.index + 1}`;
    this.seenBefore.push(
      ctx.seen.has(trialKey({ arch: formatArch(ctx.space, arch), searchedRecipe: recipe, space: spaceRef })),
    );
    return { arch, recipe, source: 'toy', space: spaceRef };
  }
  tell(): void {}
}

test('the loop keys seen trials by architecture + searched recipe + space, and records both in the trial', async () => {
  const store = StudyStore.open(':memory:');
  try {
    const s = store.createStudy({
      name: 'j',
      strategy: 'joint-toy',
      space: 'fbnet-s',
      evaluator: 'synthetic:0',
      data: null,
      objective: { metric: 'accuracy', direction: 'maximize' },
      constraints: [],
      seed: 1,
      config: {},
    });
    const strategy = new JointToy();
    const evaluator = createSyntheticEvaluator(space, { seed: 0 });
    const r = await runSearch({
      store,
      study: s,
      strategy,
      evaluator,
      space,
      constraints: [],
      costs: makeCostModel(space),
      trials: 10,
    });
    assert.equal(r.stopped, 'done');
    assert.deepEqual(
      strategy.seenBefore,
      [false, false, true],
      'the same architecture with another recipe is new; with the same recipe and space it is seen',
    );
    const trials = store.trials(s.id);
    assert.deepEqual(
      trials.map((t) => t.searchedRecipe),
      [{ lr: 0.1 }, { lr: 0.2 }, { lr: 0.1 }],
    );
    assert.deepEqual(
      trials.map((t) => t.space),
      ['round-1', 'round-2', 'round-1'],
    );
    assert.equal(new Set(trials.map((t) => t.arch)).size, 1);
    // Reopened: the records read back the same.
    assert.deepEqual(
      store.trials(s.id).map((t) => trialKey(t)),
      trials.map((t) => trialKey(t)),
    );
  } finally {
    store.close();
  }
});
