// Does evolving the space help? (issue 13, item 6, third bullet)
//
// On a data set with the nse-s pool (or another multi-branch layer-wise space):
//   1. an NSE study with --round-trials: every round's chosen architecture is retrained from
//      scratch, so "NSE's best per round" is a stand-alone accuracy per round (expected: rising),
//      beside the one-shot accuracy the round scored it with;
//   2. SPOS on the whole pool at the same total supernet epochs (rounds x epochs per round): once
//      free, and once with its evolution held to NSE's final MACs (+window), so that both
//      comparisons are at equal cost;
//   3. R random architectures of the space (every layer 1..branches distinct candidates, drawn
//      uniformly) whose MACs are within +-window of NSE's final network, trained by the NSE
//      study's own training evaluator (same recipe, epochs, images, seed), and how many of them
//      NSE's final network beats on test accuracy (target: at least 8 of 10).
// Everything is a study in one store (default runs/bench-nse.db), so a killed run continues where
// it stopped when started again with the same arguments (NSE resumes at its round and epoch).
//
// --limit-train caps the images of every stand-alone training; --search-limit-train those of the
// supernets (NSE's and SPOS's; default: the same as --limit-train).
//
//   node dist/bench/nseEvolution.js [--space nse-s] [--data fashion-mnist] [--limit-train 2000]
//     [--search-limit-train N]
//     [--epochs 2] [--subset-size 4] [--keep 2] [--rounds N] [--train-epochs 3] [--random 10]
//     [--window 0.1] [--threads 2] [--seed 0] [--store runs/bench-nse.db] [--prefix nsebench]
//
// Output: progress on stderr; markdown tables on stdout, then one JSON line.
import * as path from 'node:path';
import { formatArch } from '../src/space/archFormat';
import { formatBranches } from '../src/blocks/opName';
import { archCost } from '../src/cost/netCost';
import { Rng } from '../src/random/rng';
import { runStudy } from '../src/search/runStudy';
import { NSE_STATE } from '../src/search/nse';
import { StudyStore } from '../src/study/store';
import type { SearchConfigInput } from '../src/search/config';
import type { Arch, Space } from '../src/space/types';
import type { TrialRecord } from '../src/study/types';
import { arg, num } from './args';

const log = (s: string) => process.stderr.write(`${s}\n`);

const spaceName = arg('space', 'nse-s');
const data = arg('data', 'fashion-mnist');
const limitTrain = num('limit-train', 2000);
const epochs = num('epochs', 2);
const trainEpochs = num('train-epochs', 3);
const randomCount = num('random', 10);
const window = num('window', 0.1);
const threads = num('threads', 2);
const seed = num('seed', 0);
const prefix = arg('prefix', 'nsebench');
const storeFile = path.resolve(arg('store', 'runs/bench-nse.db'));
const searchLimitTrain = num('search-limit-train', limitTrain);
const nseOptions: Record<string, unknown> = {
  epochs,
  limitTrain: searchLimitTrain,
  subsetSize: num('subset-size', 4),
  keep: num('keep', 2),
  roundTrials: true,
  ...(process.argv.includes('--rounds') ? { rounds: num('rounds', 1) } : {}),
};
const train = { epochs: trainEpochs, limitTrain, threads, reportTest: true };

/** A study's run (created, or resumed when the store has it), its complete trials. */
async function study(store: StudyStore, name: string, given: SearchConfigInput) {
  const slog = (s: string) => log(`${name}: ${s}`);
  const { setup } = store.getStudy(name)
    ? await runStudy({ resume: name, store, log: slog })
    : await runStudy({ config: { ...given, study: name }, store, log: slog });
  const study = store.requireStudy(name);
  return { study, setup, trials: store.trials(study.id).filter((t) => t.state === 'complete') };
}

/** A uniform random architecture: every layer 1..branches distinct candidates. */
function randomBranchArch(space: Space, rng: Rng): Arch {
  const arch: Arch = {};
  for (const d of space.dims) {
    if (d.values.length === 1) arch[d.key] = d.values[0]!;
    else if (!d.branches) arch[d.key] = d.values[rng.int(d.values.length)]!;
    else {
      const k = 1 + rng.int(d.branches);
      const ops = new Set<string>();
      while (ops.size < k) ops.add(String(d.values[rng.int(d.values.length)]));
      arch[d.key] = formatBranches([...ops]);
    }
  }
  return arch;
}

const acc = (t: TrialRecord | undefined, m = 'testAcc') =>
  t && Number.isFinite(t.metrics[m]) ? `${(t.metrics[m]! * 100).toFixed(2)}%` : '—';

async function main() {
  const store = StudyStore.open(storeFile);
  try {
    const nse = await study(store, `${prefix}-nse`, {
      strategy: 'nse',
      space: spaceName,
      data,
      seed,
      train,
      options: nseOptions,
    });
    const rounds = store.getState(nse.study.id, NSE_STATE.rounds) ?? [];
    const final = nse.trials.find((t) => t.source === 'nse-final');
    if (!final) throw new Error('the NSE study has no trained final network');
    const space = nse.setup.space;
    const input = nse.setup.evaluator.decode;
    console.log(
      `\n### NSE on ${spaceName}, ${data} (supernet ${searchLimitTrain} images, ${rounds.length} rounds of ${epochs} ` +
        `epochs; stand-alone ${limitTrain} images, ${trainEpochs} epochs)\n`,
    );
    console.log(
      '| round | chosen architecture | MACs | one-shot val acc | stand-alone val acc | stand-alone test acc |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const r of rounds) {
      const t = nse.trials.find(
        (x) => x.arch === r.selected && (x.source === `nse-round-${r.round}` || x.source === 'nse-final'),
      );
      console.log(
        `| ${r.round + 1} | \`${r.selected}\` | ${(r.flops / 1e6).toFixed(2)}M | ${(r.oneShotAcc * 100).toFixed(1)}% | ${acc(t, 'accuracy')} | ${acc(t)} |`,
      );
    }

    // SPOS on the whole pool at the same total supernet epochs: free, and held to NSE's final MACs.
    const target = final.costs.flops!;
    const sposRuns: Array<{ note: string; trial?: TrialRecord }> = [];
    for (const [name, constraints, note] of [
      ['spos', [], 'free'],
      ['spos-equal', [`flops<=${Math.round(target * (1 + window))}`], `MACs <= NSE's +${window * 100}%`],
    ] as const) {
      const s = await study(store, `${prefix}-${name}`, {
        strategy: 'spos',
        space: spaceName,
        data,
        seed,
        train,
        constraints: [...constraints],
        options: { epochs: rounds.length * epochs, limitTrain: searchLimitTrain },
      });
      const best = s.trials.sort((a, b) => (b.metrics.accuracy ?? 0) - (a.metrics.accuracy ?? 0))[0];
      sposRuns.push({ note: `${note}, ${rounds.length * epochs} supernet epochs`, trial: best });
    }

    // R random architectures of equal MACs (+-window), trained with the NSE study's evaluator.
    const rng = new Rng(seed + 7);
    const picked: Arch[] = [];
    const seen = new Set<string>();
    for (let tries = 0; picked.length < randomCount && tries < 200_000; tries++) {
      const a = randomBranchArch(space, rng);
      const text = formatArch(space, a);
      const f = archCost(space, a, input).flops;
      if (seen.has(text) || Math.abs(f / target - 1) > window) continue;
      seen.add(text);
      picked.push(a);
    }
    const randomStudy =
      store.getStudy(`${prefix}-random`) ??
      store.createStudy({ ...nse.study, name: `${prefix}-random`, strategy: 'random' });
    const known = new Map(
      store
        .trials(randomStudy.id)
        .filter((t) => t.state === 'complete')
        .map((t) => [t.arch, t]),
    );
    const randoms: TrialRecord[] = [];
    for (const [i, a] of picked.entries()) {
      const text = formatArch(space, a);
      const hit = known.get(text);
      if (hit) {
        randoms.push(hit);
        continue;
      }
      const trial = store.createTrial(randomStudy.id, {
        arch: text,
        recipe: nse.setup.evaluator.recipeFor(a),
        searchedRecipe: null,
        space: null,
        source: 'random-equal-flops',
        costs: nse.setup.costs.costs(a),
        worker: null,
      });
      const r = await nse.setup.evaluator.evaluate({
        arch: a,
        archText: text,
        trialNumber: trial.number,
        recipe: nse.setup.evaluator.recipeFor(a),
        studyDir: store.studyDir(randomStudy.name),
        heartbeat: () => {},
        log: (s) => log(`random ${i + 1}/${picked.length}: ${s}`),
      });
      randoms.push(store.completeTrial(trial.id, r.metrics, r.epochs));
    }
    const beaten = randoms.filter((t) => (final.metrics.testAcc ?? -1) > (t.metrics.testAcc ?? Infinity)).length;
    console.log(
      `\n### NSE's final network against SPOS and ${randoms.length} random architectures of equal MACs (+-${window * 100}%)\n`,
    );
    console.log('| network | MACs | val acc | test acc |');
    console.log('|---|---|---|---|');
    console.log(
      `| NSE final \`${final.arch}\` | ${(target / 1e6).toFixed(2)}M | ${acc(final, 'accuracy')} | ${acc(final)} |`,
    );
    for (const { note, trial: t } of sposRuns)
      console.log(
        `| SPOS (${note}) ${t ? `\`${t.arch}\`` : ''} | ${t ? `${(t.costs.flops! / 1e6).toFixed(2)}M` : '—'} | ${acc(t, 'accuracy')} | ${acc(t)} |`,
      );
    for (const t of randoms)
      console.log(
        `| random \`${t.arch}\` | ${(t.costs.flops! / 1e6).toFixed(2)}M | ${acc(t, 'accuracy')} | ${acc(t)} |`,
      );
    console.log(
      `\nNSE's final network beats ${beaten} of ${randoms.length} random architectures on test accuracy${picked.length < randomCount ? ` (only ${picked.length} found within the window)` : ''}.`,
    );
    console.log(
      JSON.stringify({
        rounds: rounds.map((r) => ({ round: r.round, arch: r.selected, oneShotAcc: r.oneShotAcc, flops: r.flops })),
        final: { arch: final.arch, metrics: final.metrics },
        spos: sposRuns.map(({ note, trial: t }) => ({ note, arch: t?.arch, metrics: t?.metrics })),
        random: randoms.map((t) => ({ arch: t.arch, metrics: t.metrics })),
        beaten,
      }),
    );
  } finally {
    store.close();
  }
}

main().catch((e: unknown) => {
  log(`nseEvolution: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
