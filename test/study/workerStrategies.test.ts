// The strategies that plan their work (NARS's rounds, DNAS's and NSE's proposals) under three
// workers of one study, in this process (each with its own store connection and strategy, as
// separate processes would have), on SQLite and on PostgreSQL, with a synthetic evaluator that
// sleeps a little so that the workers' trials overlap (NSE's networks train briefly instead):
//   - NARS: each round's candidates each evaluated once, and round r+1 planned only once round r
//     had settled (its trials start after round r's last one finished; its refit learnt from all
//     of round r);
//   - DNAS, NSE: the one-off phase (the supernet) run by one worker, each proposal evaluated once,
//     and the workers without work left wait for the others rather than end the study early.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configureSearch, setupSearch } from '../../src/search/setupSearch';
import type { SearchConfig, SearchConfigInput } from '../../src/search/config';
import { DNAS_STATE } from '../../src/search/fbnet';
import { NARS_STATE } from '../../src/search/nars';
import { NSE_STATE } from '../../src/search/nse';
import { runWorker } from '../../src/study/runWorker';
import { runSearch, type SearchSummary } from '../../src/study/runSearch';
import { waitFor, type Strategy } from '../../src/study/strategy';
import { StudyStore } from '../../src/study/store';
import { trialKey, type TrialRecord } from '../../src/study/types';
import { noLeaks } from '../helpers/leakCheck';
import { testDatabase } from '../helpers/postgres';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { TINY_NSE } from '../helpers/tinyNseSpace';
import { studyInit } from '../../src/search/config';

const WORKERS = 3;

const backends: Array<{ name: string; location: (dir: string) => Promise<string> }> = [
  { name: 'sqlite', location: async (dir) => path.join(dir, 'tsnas.db') },
  { name: 'postgres', location: async () => (await testDatabase()).url },
];

interface Run {
  store: StudyStore;
  studyId: number;
  trials: TrialRecord[];
  summaries: SearchSummary[];
  /** Each worker's progress lines. */
  logs: string[][];
  close(): void;
}

/**
 * Creates study 's' with `given`, then runs three workers on it at once until they end. `evaluator`:
 * the evaluator the workers run the trials with, when not the study's own (a synthetic one for a
 * study whose supernet needs the training evaluator's data).
 */
async function runWorkers(location: string, dir: string, given: SearchConfigInput, evaluator?: string) {
  const studies = path.join(dir, 'studies');
  const config = configureSearch(given);
  const store = StudyStore.open(location, { studiesRoot: studies });
  const study = store.createStudy(studyInit('s', config));
  const logs: string[][] = [];
  const summaries = await Promise.all(
    Array.from({ length: WORKERS }, async (_, i) => {
      const own = StudyStore.open(location, { studiesRoot: studies });
      const log: string[] = (logs[i] = []);
      try {
        const setup = setupSearch(config);
        const evaluate = evaluator
          ? setupSearch({ ...config, strategy: 'random', options: {}, evaluator, data: null }).evaluator
          : setup.evaluator;
        return await runWorker({
          store: own,
          study: own.requireStudy('s'),
          ...setup,
          evaluator: evaluate,
          trials: config.trials,
          pollMs: 20,
          log: (line) => log.push(line),
        });
      } finally {
        own.close();
      }
    }),
  );
  const run: Run = {
    store,
    studyId: study.id,
    trials: store.trials(study.id),
    summaries,
    logs,
    close: () => store.close(),
  };
  return { run, config };
}

/** Each of `keys` evaluated exactly once, and nothing else, all complete. */
function exactlyOnce(trials: readonly TrialRecord[], keys: readonly string[]): void {
  assert.deepEqual(
    trials.map((t) => [t.number, t.state, t.error]),
    trials.map((t, i) => [i, 'complete', null]),
    'every trial complete, numbered in order',
  );
  assert.deepEqual(trials.map(trialKey).sort(), [...keys].sort(), 'each planned item evaluated once, nothing else');
}

/** The trials were spread over the workers (each worker's own connection and strategy). */
function sharedOut(run: Run): void {
  assert.ok(new Set(run.trials.map((t) => t.worker)).size > 1, 'more than one worker took trials');
}

for (const b of backends) {
  test(
    `${b.name}: NARS under three workers: each round's candidates evaluated once, round r+1 planned only after round r settled`,
    noLeaks(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-nars-'));
      const { run } = await runWorkers(await b.location(dir), dir, {
        strategy: 'nars',
        space: 'fbnet-s',
        evaluator: 'synthetic:5',
        evalDelayMs: 40,
        trials: 9,
        options: { rounds: 3, pool: 600, pretrainEpochs: 3, headEpochs: 5, fineEpochs: 5 },
      });
      try {
        assert.deepEqual(
          run.summaries.map((s) => s.stopped),
          ['target', 'target', 'target'],
        );
        const rounds = run.store.getState(run.studyId, NARS_STATE.rounds)!;
        assert.deepEqual(
          rounds.map((r) => r.candidates.length),
          [3, 3, 3],
          'three rounds of three, as one process plans them',
        );
        exactlyOnce(
          run.trials,
          rounds.flatMap((r) => r.candidates.map((c) => c.arch)),
        );
        sharedOut(run);
        const of = (r: number) => run.trials.filter((t) => t.source === `nars-round-${r}`);
        for (const r of rounds) {
          assert.deepEqual(
            of(r.round).map(trialKey).sort(),
            r.candidates.map((c) => c.arch).sort(),
            `round ${r.round}'s trials are its candidates`,
          );
          if (r.round === 1) continue;
          // Planned after the last round settled: its trials come after all of that round's, and start
          // after the last of them finished; the refit it was planned with learnt from every one of them.
          const before = of(r.round - 1);
          const lastFinished = Math.max(...before.map((t) => t.finishedAt!));
          for (const t of of(r.round)) {
            assert.ok(
              t.number > Math.max(...before.map((x) => x.number)),
              `trial ${t.number} after round ${r.round - 1}`,
            );
            assert.ok(t.startedAt >= lastFinished, `trial ${t.number} started after round ${r.round - 1} finished`);
          }
          assert.equal(rounds[r.round - 2]!.refit?.samples, 3 * (r.round - 1), `round ${r.round - 1}'s refit`);
        }
      } finally {
        run.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

  test(
    `${b.name}: DNAS under three workers: the supernet searched by one worker, each proposal evaluated once`,
    noLeaks(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-dnas-'));
      const space = path.join(dir, 'tiny-fbnet.yaml');
      fs.writeFileSync(space, TINY_SPACE_YAML);
      const { run } = await runWorkers(
        await b.location(dir),
        dir,
        {
          strategy: 'dnas',
          space,
          evaluator: 'train',
          data: 'synthetic:0',
          evalDelayMs: 40,
          // More than the proposals: a worker finds nothing to propose while the others still run theirs.
          trials: 8,
          options: { cost: 'flops', epochs: 2, warmup: 1, samples: 4, limitTrain: 200, batchSize: 32, threads: 1 },
        },
        'synthetic:3',
      );
      try {
        const searched = run.logs.filter((l) => l.some((line) => line.startsWith('dnas: supernet checkpoint in')));
        assert.equal(searched.length, 1, 'one worker searched the supernet');
        const progress = run.store.getState(run.studyId, DNAS_STATE.progress)!;
        assert.deepEqual([progress.epochsDone, progress.resumedFrom], [2, 0], 'searched once, from the start');
        const proposals = run.store.getState(run.studyId, DNAS_STATE.proposals)!.proposals;
        assert.ok(proposals.length >= 2, `${proposals.length} proposals`);
        exactlyOnce(
          run.trials,
          proposals.map((p) => p.arch),
        );
        sharedOut(run);
        // The strategy ends the study, but no worker left before every proposal was evaluated.
        assert.deepEqual(
          run.summaries.map((s) => [s.stopped, s.complete]),
          run.summaries.map(() => ['done', proposals.length]),
        );
      } finally {
        run.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

  test(
    `${b.name}: NSE under three workers: the rounds run by one worker, each network to retrain evaluated once`,
    noLeaks(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-nse-'));
      const space = path.join(dir, 'tiny-nse.yaml');
      fs.writeFileSync(space, TINY_NSE);
      const { run, config } = await runWorkers(await b.location(dir), dir, {
        strategy: 'nse',
        space,
        evaluator: 'train',
        data: 'synthetic:0',
        evalDelayMs: 40,
        options: {
          epochs: 1,
          subsetSize: 2,
          keep: 1,
          rounds: 2,
          roundTrials: true,
          limitTrain: 200,
          batchSize: 32,
          threshold: 0.45,
        },
        // The synthetic evaluator knows no multi-branch layers: the networks train briefly.
        train: { epochs: 1, limitTrain: 200, threads: 1 },
      });
      try {
        const rounds = run.store.getState(run.studyId, NSE_STATE.rounds)!;
        assert.equal(rounds.length, 2);
        const searched = run.logs.filter((l) => l.some((line) => /^nse round 1\/\d+ epoch 1\//.test(line)));
        assert.equal(searched.length, 1, 'one worker ran the rounds');
        const proposals = run.store.getState(run.studyId, NSE_STATE.proposals)!;
        assert.equal((config as SearchConfig).trials, 2);
        assert.deepEqual(
          proposals.map((p) => p.source),
          ['nse-round-0', 'nse-final'],
        );
        exactlyOnce(
          run.trials,
          proposals.map((p) => trialKey({ arch: p.arch, space: p.space })),
        );
        // Two networks, three workers: the one without work waited for the others, then saw the target.
        assert.deepEqual(
          run.summaries.map((s) => [s.stopped, s.complete]),
          [
            ['target', 2],
            ['target', 2],
            ['target', 2],
          ],
        );
      } finally {
        run.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
}

test('a strategy that asks to wait with nothing pending is a bug, in one process and in a worker', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-workers-wait-'));
  const store = StudyStore.open(path.join(dir, 'tsnas.db'));
  try {
    const config = configureSearch({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic:1', trials: 2 });
    const setup = setupSearch(config);
    const waits: Strategy = { name: 'waits', ask: () => waitFor('round 2 needs round 1'), tell: () => {} };
    for (const [name, run] of [
      ['one', runSearch],
      ['worker', runWorker],
    ] as const) {
      const study = store.createStudy(studyInit(name, config));
      await assert.rejects(
        run({ store, study, ...setup, strategy: waits, trials: 2 }),
        /the waits strategy asked to wait \(round 2 needs round 1\) .*a bug of the strategy/,
      );
      assert.deepEqual(store.trials(study.id), [], `${name}: no trial created`);
    }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
