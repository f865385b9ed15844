// The study API from code (createStudy / loadStudy, optimize with a function objective, ask and
// tell, bestTrial, trials, paretoFront): what it records is checked against the store, a study
// asked and told by hand across a close proposes what the loop does, an objective that throws or
// returns NaN fails its trial and not the study, and bad input is a FieldError naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import {
  createStudy,
  loadStudy,
  functionEvaluator,
  FieldError,
  StudyExistsError,
  runStudy,
  loadSearchConfigFile,
  type TrialContext,
} from '../../src/search/index';
import * as root from '../../src/index';
import { hashString } from '../../src/random/seeds';
import { Rng } from '../../src/random/rng';
import { loadSpace } from '../../src/space/registry';
import { formatArch } from '../../src/space/archFormat';
import { sampleUniform } from '../../src/arch/sample';
import { tidy } from '../../src/engine/memory';
import { zeros } from '../../src/engine/creation';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { liveTensors, noLeaks } from '../helpers/leakCheck';
import type { TrialRecord } from '../../src/study/types';

/** The tiny space as an object (what a user defines in code). */
const spaceObject = () => YAML.parse(TINY_SPACE_YAML) as Record<string, unknown>;

/** A deterministic score of an architecture, spread in [0, 1). */
const score = (archText: string) => (hashString(archText) % 10007) / 10007;

function tmp(): { dir: string; store: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-studyapi-'));
  return { dir, store: path.join(dir, 'tsnas.db'), done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The non-dominated trials by brute force: no other complete trial at most as costly and at least as good, better in one. */
function bruteFront(trials: readonly TrialRecord[], metric: string): number[] {
  const done = trials.filter((t) => t.state === 'complete');
  return done
    .filter(
      (p) =>
        !done.some(
          (q) =>
            q.costs.flops! <= p.costs.flops! &&
            q.metrics[metric]! >= p.metrics[metric]! &&
            (q.costs.flops! < p.costs.flops! || q.metrics[metric]! > p.metrics[metric]!),
        ),
    )
    .map((t) => t.number)
    .sort((a, b) => a - b);
}

test('createStudy + optimize with a function objective on a space object: trials, reports, bestTrial and paretoFront as stored', async () => {
  const t = tmp();
  try {
    const seen: Array<{ n: number; draw: number; stop: number | null; space: string }> = [];
    const objective = async (trial: TrialContext) => {
      for (let step = 0; step < 3; step++) trial.report(step, { acc: (score(trial.archText) * (step + 1)) / 3 });
      seen.push({ n: trial.number, draw: trial.rng.next(), stop: trial.stopAfterReports, space: trial.space.name });
      return { accuracy: score(trial.archText), reports: 3 };
    };
    const study = await createStudy({
      store: t.store,
      name: 'fn',
      space: spaceObject(),
      strategy: 'evolution',
      strategyOptions: { population: 4, sampleSize: 2 },
      evaluator: functionEvaluator(objective, { metrics: ['accuracy', 'reports'], name: 'scorer' }),
      seed: 7,
    });
    try {
      assert.equal(study.config.evaluator, 'function:scorer');
      assert.equal(study.config.space, 'tiny-fbnet', 'a space object is stored under its name, with its data');
      assert.deepEqual(study.config.spaceData, spaceObject());
      const r = await study.optimize(undefined, { trials: 6 });
      assert.equal(r.summary.complete, 6);
      const trials = study.trials();
      assert.equal(trials.length, 6);
      assert.deepEqual(
        trials.map((x) => x.metrics.accuracy),
        trials.map((x) => score(x.arch)),
      );
      assert.ok(seen.every((s) => s.space === 'tiny-fbnet' && s.stop === null));
      // The reports are the trial's epochs, each with its step.
      for (const x of trials)
        assert.deepEqual(
          x.epochs,
          [0, 1, 2].map((step) => ({ step, acc: (score(x.arch) * (step + 1)) / 3 })),
        );
      const best = study.bestTrial!;
      assert.equal(best.metrics.accuracy, Math.max(...trials.map((x) => x.metrics.accuracy!)));
      assert.equal(r.best!.number, best.number);
      assert.deepEqual(
        study
          .paretoFront({ cost: 'flops' })
          .map((x) => x.number)
          .sort((a, b) => a - b),
        bruteFront(trials, 'accuracy'),
      );
      const front = study.paretoFront();
      for (let i = 1; i < front.length; i++) assert.ok(front[i]!.costs.flops! >= front[i - 1]!.costs.flops!);
      assert.deepEqual(study.trials({ state: 'failed' }), []);
      // Two more: optimize counts from what is complete.
      const more = await study.optimize(objective, { trials: 2 });
      assert.equal(more.summary.complete, 8);
    } finally {
      study.close();
    }
    // The rng is the study's seed and the trial's number: another study of the same seed draws the same.
    const draws = seen.slice(0, 6).map((s) => s.draw);
    seen.length = 0;
    const again = await createStudy({
      store: t.store,
      name: 'fn2',
      space: spaceObject(),
      strategy: 'evolution',
      strategyOptions: { population: 4, sampleSize: 2 },
      evaluator: functionEvaluator(objective, { metrics: ['accuracy', 'reports'], name: 'scorer' }),
      seed: 7,
    });
    try {
      await again.optimize(undefined, { trials: 6 });
      assert.deepEqual(
        seen.map((s) => s.draw),
        draws,
      );
      assert.equal(new Set(draws).size, draws.length, 'each trial draws its own numbers');
    } finally {
      again.close();
    }
  } finally {
    t.done();
  }
});

test('ask and tell by hand, across close and loadStudy, propose what optimize does; the proposals follow the told results', async () => {
  const t = tmp();
  try {
    const common = {
      store: t.store,
      space: 'fbnet-s',
      strategy: 'evolution',
      strategyOptions: { population: 3, sampleSize: 2 },
      seed: 11,
    } as const;
    // By hand, with a close and a load in the middle (no evaluator: trials are evaluated by code).
    let study = await createStudy({ ...common, name: 'hand' });
    const hand: string[] = [];
    for (let i = 0; i < 10; i++) {
      if (i === 5) {
        study.close();
        study = await loadStudy({ store: t.store, name: 'hand' });
        assert.equal(study.trials({ state: 'complete' }).length, 5, 'the history survives the close');
      }
      const trial = (await study.ask())!;
      assert.equal(trial.number, i);
      assert.equal(study.trials({ state: 'running' }).length, 1, 'an asked trial is running in the store');
      hand.push(trial.archText);
      const told = await study.tell(trial, { accuracy: score(trial.archText) });
      assert.equal(told.state, 'complete');
    }
    // A trial asked and not told is interrupted by the next session, and asked again.
    const pendingArch = (await study.ask())!.archText;
    study.close();
    // The loop over the same configuration evaluates the same architectures.
    const loop = await createStudy({ ...common, name: 'loop' });
    try {
      await loop.optimize((trial) => ({ accuracy: score(trial.archText) }), { trials: 11 });
      assert.deepEqual(
        loop.trials().map((x) => x.arch),
        [...hand, pendingArch],
      );
    } finally {
      loop.close();
    }
    // Told other results, evolution proposes other children (the first 3 are the random population).
    const other = await createStudy({ ...common, name: 'other' });
    const otherArchs: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const trial = (await other.ask())!;
        otherArchs.push(trial.archText);
        await other.tell(trial.number, 1 - score(trial.archText));
      }
    } finally {
      other.close();
    }
    assert.deepEqual(otherArchs.slice(0, 3), hand.slice(0, 3));
    assert.notDeepEqual(otherArchs.slice(3), hand.slice(3));
    // An existing name: refused, or loaded with its history when asked to.
    await assert.rejects(createStudy({ ...common, name: 'hand' }), StudyExistsError);
    // Resumed: the asked trial was interrupted and is asked again; telling a finished one is refused.
    study = await createStudy({ ...common, name: 'hand', loadIfExists: true });
    assert.equal(study.trials().length, 11);
    try {
      const again = (await study.ask())!;
      assert.equal(again.archText, pendingArch);
      assert.equal(again.number, 11);
      assert.match(study.trials()[10]!.error!, /^interrupted/);
      await assert.rejects(study.tell(3, { accuracy: 0.5 }), /trial 3 of study 'hand' is complete/);
      // A told NaN fails the trial, and the study goes on.
      const failed = await study.tell(again, { accuracy: NaN });
      assert.equal(failed.state, 'failed');
      assert.match(failed.error!, /accuracy = NaN, not a finite number/);
      assert.ok(await study.ask());
    } finally {
      study.close();
    }
  } finally {
    t.done();
  }
});

test('an objective that throws, returns NaN or lacks its metric fails that trial; the study goes on', async () => {
  const t = tmp();
  try {
    const study = await createStudy({
      store: t.store,
      name: 'bad',
      space: 'fbnet-s',
      strategy: 'random',
      seed: 3,
      maxFailed: 10,
      evaluator: async (trial: TrialContext): Promise<Record<string, number> | number> => {
        trial.report(0, { partial: 0.25 });
        if (trial.number === 1) throw new Error('boom');
        if (trial.number === 2) return { accuracy: NaN };
        if (trial.number === 3) return { other: 1 };
        if (trial.number === 4) return 'high' as unknown as number;
        return score(trial.archText);
      },
    });
    try {
      const r = await study.optimize(undefined, { trials: 3 });
      assert.equal(r.summary.complete, 3);
      assert.equal(r.summary.failed, 4);
      const failed = study.trials({ state: 'failed' });
      assert.deepEqual(
        failed.map((x) => x.number),
        [1, 2, 3, 4],
      );
      assert.match(failed[0]!.error!, /the function 'objective' threw: boom/);
      assert.match(failed[1]!.error!, /returned accuracy = NaN, not a finite number/);
      assert.match(failed[2]!.error!, /returned no accuracy \(it returned other\)/);
      assert.match(failed[3]!.error!, /returned string, not its metrics/);
      // What it reported before failing is kept.
      assert.deepEqual(failed[0]!.epochs, [{ step: 0, partial: 0.25 }]);
      assert.deepEqual(
        study.trials({ state: 'complete' }).map((x) => x.metrics.accuracy),
        study.trials({ state: 'complete' }).map((x) => score(x.arch)),
      );
    } finally {
      study.close();
    }
    // A study of a function, loaded without it: running it asks for the function; reading it does not.
    const loaded = await loadStudy({ store: t.store, name: 'bad' });
    try {
      assert.equal(loaded.trials().length, 7);
      await assert.rejects(
        loaded.optimize(undefined, { trials: 1 }),
        (err: unknown) =>
          err instanceof FieldError &&
          err.field === 'evaluator' &&
          /give it again as the `evaluator`/.test(err.message),
      );
      const more = await loaded.optimize(() => ({ accuracy: 0.5 }), { trials: 1 });
      assert.equal(more.summary.complete, 4);
    } finally {
      loaded.close();
    }
  } finally {
    t.done();
  }
});

test('bad input through createStudy is a FieldError naming the field, and creates nothing', async () => {
  const t = tmp();
  try {
    await assert.rejects(
      createStudy({ store: t.store, name: 'x', space: 'fbnet-s', evaluator: 'oracle:1' }),
      (err: unknown) =>
        err instanceof FieldError &&
        err.field === 'evaluator' &&
        err.value === 'oracle:1' &&
        /unknown evaluator 'oracle:1' \(evaluators: train .*synthetic\[:SEED\], table:FILE/.test(err.message),
    );
    const bad = spaceObject();
    (bad.stem as Record<string, unknown>).channels = 'eight';
    await assert.rejects(
      createStudy({ store: t.store, name: 'x', space: bad, evaluator: 'synthetic:1' }),
      (err: unknown) =>
        err instanceof FieldError &&
        err.field === 'space.stem.channels' &&
        err.value === 'eight' &&
        /space\.stem\.channels/.test(err.message),
    );
    await assert.rejects(
      createStudy({
        store: t.store,
        name: 'x',
        space: 'fbnet-s',
        evaluator: 'synthetic:1',
        strategyOptions: { population: 1 },
        strategy: 'evolution',
      }),
      (err: unknown) => err instanceof FieldError && err.field === 'options.population',
    );
    await assert.rejects(
      createStudy({
        store: t.store,
        name: 'x',
        space: 'fbnet-s',
        evaluator: 'synthetic:1',
        trials: 'ten' as unknown as number,
      }),
      (err: unknown) =>
        err instanceof FieldError &&
        err.field === 'trials' &&
        err.value === 'ten' &&
        /invalid `trials`/.test(err.message),
    );
    await assert.rejects(
      createStudy({
        store: t.store,
        name: 'x',
        space: 'fbnet-s',
        evaluator: 'synthetic:1',
        objective: { metric: 'accuracy', direction: 'up' as 'maximize' },
      }),
      (err: unknown) => err instanceof FieldError && err.field === 'objective.direction' && err.value === 'up',
    );
    // An unknown strategy, through createStudy, runStudy and a config file: a FieldError on
    // `strategy` with the value and the strategies there are.
    const unknownStrategy = (err: unknown) =>
      err instanceof FieldError &&
      err.field === 'strategy' &&
      err.value === 'annealing' &&
      /unknown strategy 'annealing' \(strategies: random, evolution, .*nars/.test(err.message);
    await assert.rejects(
      createStudy({ store: t.store, name: 'x', space: 'fbnet-s', strategy: 'annealing', evaluator: 'synthetic:1' }),
      unknownStrategy,
    );
    await assert.rejects(
      runStudy({ store: t.store, config: { strategy: 'annealing', space: 'fbnet-s', evaluator: 'synthetic:1' } }),
      unknownStrategy,
    );
    const configFile = path.join(t.dir, 'annealing.yaml');
    fs.writeFileSync(configFile, 'strategy: annealing\nspace: fbnet-s\nevaluator: synthetic:1\ntrials: 2\n');
    await assert.rejects(runStudy({ store: t.store, config: loadSearchConfigFile(configFile) }), unknownStrategy);
    assert.equal(fs.existsSync(t.store), false, 'nothing was created');
    // The same names from the package root.
    assert.equal(root.createStudy, createStudy);
    assert.equal(typeof root.registerEvaluator, 'function');
  } finally {
    t.done();
  }
});

test(
  'trial.network() builds the architecture once per trial and leaves no live tensor behind',
  noLeaks(async () => {
    const t = tmp();
    try {
      const before = liveTensors();
      let built = 0;
      const study = await createStudy({
        store: t.store,
        name: 'net',
        space: spaceObject(),
        seed: 5,
        objective: { metric: 'params' },
        evaluator: functionEvaluator(
          async (trial) => {
            const net = await trial.network();
            assert.equal(await trial.network(), net, 'one network per trial');
            built++;
            const out = tidy(() => net.forward(zeros([2, 1, 16, 16])).shape);
            assert.deepEqual(out, [2, 10]);
            assert.ok(liveTensors() > before, 'the network lives while the trial runs');
            return { params: net.parameters().reduce((s, p) => s + p.size, 0) };
          },
          { metrics: ['params'] },
        ),
      });
      try {
        const r = await study.optimize(undefined, { trials: 3 });
        assert.equal(r.summary.complete, 3);
        assert.equal(built, 3);
        for (const x of study.trials()) assert.equal(x.metrics.params, x.costs.params);
      } finally {
        study.close();
      }
      assert.equal(liveTensors(), before);
    } finally {
      t.done();
    }
  }),
);

test("a trial's early stop: shouldStop and the signal once the strategy's stopAfterEpochs are reported", async () => {
  const space = loadSpace('fbnet-s');
  const arch = sampleUniform(space, new Rng(1));
  const recorded: Array<Array<Record<string, number>>> = [];
  const states: Array<{ stop: boolean; aborted: boolean }> = [];
  const ev = functionEvaluator(async (trial) => {
    let step = 0;
    while (!trial.shouldStop()) {
      states.push({ stop: trial.shouldStop(), aborted: trial.signal.aborted });
      trial.report(step, { acc: step / 10 });
      step++;
      if (step > 10) throw new Error('never stopped');
    }
    states.push({ stop: trial.shouldStop(), aborted: trial.signal.aborted });
    return { accuracy: step };
  });
  const job = (stopAfterEpochs?: number) => ({
    arch,
    archText: formatArch(space, arch),
    trialNumber: 4,
    space,
    seed: 9,
    recipe: null,
    studyDir: os.tmpdir(),
    heartbeat: () => {},
    onEpoch: (e: Array<Record<string, number>>) => recorded.push(e),
    log: () => {},
    ...(stopAfterEpochs ? { stopAfterEpochs } : {}),
  });
  const r = await ev.evaluate(job(2));
  assert.deepEqual(r.metrics, { accuracy: 2 });
  assert.deepEqual(r.epochs, [
    { step: 0, acc: 0 },
    { step: 1, acc: 0.1 },
  ]);
  assert.deepEqual(recorded.at(-1), r.epochs, 'each report is recorded in the running trial');
  assert.deepEqual(states, [
    { stop: false, aborted: false },
    { stop: false, aborted: false },
    { stop: true, aborted: true },
  ]);
  // Without early stopping it never says stop (this objective then runs into its own guard).
  await assert.rejects(ev.evaluate(job()), /the function 'objective' threw: never stopped/);
});

test('optimize as workers: two handles on one study share its trials out, each evaluated once, the study ends at its target', async () => {
  const t = tmp();
  try {
    const evaluated: string[] = [];
    const objective = async (trial: TrialContext) => {
      evaluated.push(trial.archText);
      // Yield to the other worker, as a training in another process would run beside this one.
      await new Promise((r) => setTimeout(r, 5));
      return { accuracy: score(trial.archText) };
    };
    const made = await createStudy({
      store: t.store,
      name: 'shared',
      space: spaceObject(),
      strategy: 'random',
      evaluator: functionEvaluator(objective, { name: 'scorer' }),
      trials: 10,
      seed: 3,
    });
    await assert.rejects(
      made.optimize(objective, { worker: true, trials: 2 }),
      (e: unknown) => e instanceof FieldError && e.field === 'trials',
    );
    await assert.rejects(
      made.optimize(objective, { worker: true, threads: 0 }),
      (e: unknown) => e instanceof FieldError && e.field === 'threads',
    );
    made.close();
    const a = await loadStudy({ store: t.store, name: 'shared', evaluator: objective });
    const b = await loadStudy({ store: t.store, name: 'shared', evaluator: objective });
    try {
      const [ra] = await Promise.all([
        a.optimize(undefined, { worker: true, staleAfterSeconds: 30 }),
        b.optimize(undefined, { worker: true, staleAfterSeconds: 30 }),
      ]);
      const trials = a.trials();
      assert.equal(trials.filter((x) => x.state === 'complete').length, 10);
      assert.equal(trials.length, 10, 'no trial asked twice or lost');
      assert.equal(evaluated.length, 10);
      assert.equal(new Set(trials.map((x) => x.arch)).size, 10, 'each architecture once');
      assert.equal(new Set(trials.map((x) => x.worker)).size, 2, 'both workers took trials');
      assert.deepEqual(
        trials.map((x) => x.metrics.accuracy),
        trials.map((x) => score(x.arch)),
      );
      assert.equal(ra.best!.number, a.bestTrial!.number);
    } finally {
      a.close();
      b.close();
    }
  } finally {
    t.done();
  }
});

test("createStudy then optimize logs the study's line once (creation runs nothing and logs nothing)", async () => {
  const t = tmp();
  try {
    const lines: string[] = [];
    const study = await createStudy({
      store: t.store,
      name: 'logged',
      space: spaceObject(),
      strategy: 'random',
      evaluator: functionEvaluator(async (trial: TrialContext) => ({ accuracy: score(trial.archText) }), {
        name: 'scorer',
      }),
      trials: 3,
      seed: 2,
      log: (line: string) => lines.push(line),
    });
    try {
      assert.equal(lines.length, 0, `creating the study logs nothing: ${lines.join(' | ')}`);
      await study.optimize();
      const studyLines = lines.filter((l) => l.startsWith("study 'logged'"));
      assert.equal(studyLines.length, 1, lines.join('\n'));
      assert.match(studyLines[0]!, /random on .*3 trials.*seed 2/);
      assert.equal(lines.filter((l) => l.startsWith('trial ')).length, 3, 'one line per trial');
    } finally {
      study.close();
    }
  } finally {
    t.done();
  }
});

test('optimize with a timeout: no trial starts after it, the run says so, nothing is left running; alone and as workers', async () => {
  const t = tmp();
  try {
    // Each trial takes 40 ms: 200 of them would take 8 s, far past the 0.3 s timeout.
    const objective = async (trial: TrialContext) => {
      await new Promise((r) => setTimeout(r, 40));
      return { accuracy: score(trial.archText) };
    };
    const study = await createStudy({
      store: t.store,
      name: 'timed',
      space: spaceObject(),
      strategy: 'random',
      evaluator: functionEvaluator(objective, { name: 'scorer' }),
      trials: 200,
      seed: 5,
    });
    try {
      await assert.rejects(
        study.optimize(undefined, { timeout: -1 }),
        (e: unknown) => e instanceof FieldError && e.field === 'timeout',
      );
      assert.equal(study.trials().length, 0, 'a refused timeout starts nothing');
      const r = await study.optimize(undefined, { timeout: 0.3 });
      assert.equal(r.stopped, 'timeout');
      const first = study.trials();
      assert.ok(first.length >= 1 && first.length < 200, `${first.length} trials`);
      assert.ok(
        first.every((x) => x.state === 'complete'),
        'the running trial finished; none left running',
      );
      assert.equal(r.summary.complete, first.length);
      // As workers: the same, the timeout counted from each worker's start.
      const r2 = await study.optimize(undefined, { worker: true, timeout: 0.3 });
      assert.equal(r2.stopped, 'timeout');
      const second = study.trials();
      assert.ok(second.length > first.length && second.length < 200, `${second.length} trials`);
      assert.ok(second.every((x) => x.state === 'complete'));
    } finally {
      study.close();
    }
  } finally {
    t.done();
  }
});

test("trial.heartbeat(): an objective's long synchronous stretch says the trial is alive, in the store", async () => {
  const t = tmp();
  try {
    let before: number | null = null;
    let after: number | null = null;
    const study = await createStudy({
      store: t.store,
      name: 'beats',
      space: spaceObject(),
      strategy: 'random',
      evaluator: functionEvaluator(() => 0, { name: 'scorer' }),
      trials: 1,
      seed: 1,
    });
    try {
      const beatOf = (n: number) => study.trials().find((x) => x.number === n)!.heartbeatAt;
      await study.optimize((trial: TrialContext) => {
        before = beatOf(trial.number);
        // Busy past the heartbeat's throttle (2 s): only the objective's own call can beat here.
        const until = Date.now() + 2100;
        while (Date.now() < until);
        trial.heartbeat();
        after = beatOf(trial.number);
        return score(trial.archText);
      });
      assert.ok(before !== null && after !== null && after > before, `heartbeat ${before} -> ${after}`);
    } finally {
      study.close();
    }
  } finally {
    t.done();
  }
});
