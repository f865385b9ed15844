// The library against the CLI on the same study: 200 trials of regularized evolution on fbnet-s
// whose objective is a table-like function (the synthetic evaluator's: a fixed function of the
// architecture, no training), run (a) in this process through the API, the objective given as a
// user's function (createStudy + optimize), and (b) as `tsnas search evolution --evaluator
// synthetic:SEED` in a child process. Both write an SQLite store; the proposals are the same
// (same seed and objective), which is checked. Medians of `--repeats` alternated runs.
//
//   node dist/bench/apiVsCli.js [--trials 200] [--repeats 3] [--json]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { num } from './args';
import { createStudy } from '../src/search/study';
import { syntheticFunction } from '../src/evaluate/synthetic';
import { loadSpace } from '../src/space/registry';
import { StudyStore } from '../src/study/store';
import { upperMedian } from '../src/stats';

const trials = num('trials', 200);
const repeats = num('repeats', 3);
const SEED = 4;
const ROOT = path.resolve(__dirname, '..', '..');

async function inProcess(dir: string): Promise<{ seconds: number; archs: string[] }> {
  const space = loadSpace('fbnet-s');
  const f = syntheticFunction(space, 1);
  const t0 = process.hrtime.bigint();
  const study = await createStudy({
    store: path.join(dir, 'api', 'api.db'),
    name: 'bench',
    space: 'fbnet-s',
    strategy: 'evolution',
    evaluator: (trial) => ({ accuracy: f.accuracy(trial.arch) }),
    trials,
    seed: SEED,
  });
  await study.optimize();
  const archs = study.trials({ state: 'complete' }).map((t) => t.arch);
  study.close();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, archs };
}

function throughCli(dir: string): { seconds: number; archs: string[] } {
  const store = path.join(dir, 'cli', 'cli.db');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'tsnas.js'),
      'search',
      'evolution',
      '--space',
      'fbnet-s',
      '--evaluator',
      'synthetic:1',
      '--trials',
      String(trials),
      '--seed',
      String(SEED),
      '--store',
      store,
      '--study',
      'bench',
    ],
    { encoding: 'utf8' },
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`tsnas search failed:\n${r.stderr}`);
  const s = StudyStore.open(store, { readonly: true });
  const archs = s.trials(s.requireStudy('bench').id, ['complete']).map((t) => t.arch);
  s.close();
  return { seconds, archs };
}

async function main(): Promise<void> {
  const api: number[] = [];
  const cli: number[] = [];
  let same = true;
  for (let i = 0; i < repeats; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-apivscli-'));
    // A store per side, each in its own directory (a study's files sit beside its store).
    for (const side of ['api', 'cli']) fs.mkdirSync(path.join(dir, side));
    try {
      const a = await inProcess(dir);
      const c = throughCli(dir);
      api.push(a.seconds);
      cli.push(c.seconds);
      same &&= a.archs.length === trials && a.archs.join() === c.archs.join();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const out = {
    trials,
    repeats,
    apiSeconds: upperMedian(api),
    cliSeconds: upperMedian(cli),
    cliOverApi: upperMedian(cli) / upperMedian(api),
    sameTrials: same,
  };
  if (process.argv.includes('--json')) console.log(JSON.stringify(out));
  else
    console.log(
      `${trials} trials, median of ${repeats}: in-process ${out.apiSeconds.toFixed(2)} s, CLI ${out.cliSeconds.toFixed(2)} s ` +
        `(CLI / in-process ${out.cliOverApi.toFixed(2)}x); same trials: ${same}`,
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
