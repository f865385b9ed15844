// Issue 25, item 4: what lifts the main job's result above fbnet-s-baseline's mean over seeds?
// Trains fbnet-s-baseline and the main job's searched networks with the main job's final recipe at
// the same K seeds the space-front bench uses (run k of network N: finalTrainingSeed(0, k, N)), in
// one of two variants:
//   - `--distill`: run k of each searched network distils from run k of the baseline (the teacher
//     is the reference the main job trains anyway): loss = weight * KD + (1 - weight) * CE;
//   - `--epochs E` (default 2, the main job's): a longer final schedule for every network alike.
// Each training is kept (its checkpoint resumes, its result lands in the JSON), so rerunning the
// command continues. The summary: each network's mean against the baseline's mean, with Welch's test.
//   node dist/bench/finalDistill.js [--students '0.5x seed 1,0.5x seed 2'] [--seeds 3] [--epochs 2]
//     [--distill] [--weight 0.8] [--temperature 1] [--threads 1] [--dir runs/final-distill]
//     [--out bench/results/final-distill.json]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arg, num } from './args';
import { mainJobFinalRecipe } from './mainJobFinalRecipe';
import { loadDataSource } from '../src/data/dataSource';
import { finalTrainingSeed } from '../src/random/studySeeds';
import { formatArch, parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { mean, spreadOf, welchTTest } from '../src/stats/welch';
import { trainArchitecture } from '../src/train/trainArchitecture';

const BASELINE = 'fbnet-s-baseline';

interface Run {
  variant: string;
  network: string;
  arch: string;
  run: number;
  seed: number;
  testAcc: number;
  seconds: number;
}

function main(): void {
  const dir = arg('dir', 'runs/final-distill');
  const out = arg('out', 'bench/results/final-distill.json');
  const seeds = num('seeds', 3);
  const epochs = num('epochs', 2);
  const threads = num('threads', 1);
  const distill = process.argv.includes('--distill');
  const weight = num('weight', 0.8);
  const temperature = num('temperature', 1);
  const labels = arg('students', '0.5x seed 1,0.5x seed 2').split(',');
  const variant = `${epochs} epochs${distill ? `, distilled (weight ${weight}, T ${temperature})` : ''}`;
  const space = loadSpace('fbnet-s');
  const searched = (
    JSON.parse(fs.readFileSync('bench/tables/main-job-searched.json', 'utf8')) as {
      networks: Array<{ label: string; arch: string }>;
    }
  ).networks;
  const students = labels.map((l) => {
    const s = searched.find((n) => n.label === l);
    if (!s) throw new Error(`--students: no network labelled '${l}' in bench/tables/main-job-searched.json`);
    return { network: l, arch: formatArch(space, parseArch(space, s.arch)) };
  });
  const data = loadDataSource('fashion-mnist', { input: space.input });
  // Every variant's runs in one file, with the commands that made them.
  const kept = fs.existsSync(out)
    ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { commands?: string[]; command?: string; runs: Run[] })
    : { runs: [] };
  const done: Run[] = kept.runs;
  const command = `node dist/bench/finalDistill.js ${process.argv.slice(2).join(' ')}`.trim();
  const commands = [...new Set([...(kept.commands ?? (kept.command ? [kept.command] : [])), command])];
  const save = () => {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({ commands, runs: done }, null, 1)}\n`);
  };
  const slug = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '.');
  const trainOne = (network: string, arch: string, k: number, teacher: string | null): string => {
    // The seed of the name: the baseline's own, a searched network's of its architecture string (as the front's).
    const seed = finalTrainingSeed(0, k, network === BASELINE ? BASELINE : arch);
    const v = network === BASELINE ? `${epochs} epochs` : variant;
    const runDir = path.join(dir, slug(`${v}-${network}-s${seed}`));
    if (done.some((r) => r.variant === v && r.network === network && r.run === k)) return runDir;
    const recipe = mainJobFinalRecipe(0, seed, data.train.count, {
      epochs,
      ...(teacher ? { distill: { teacher, weight, temperature } } : {}),
    });
    const t0 = performance.now();
    const r = trainArchitecture({
      space,
      spaceRef: 'fbnet-s',
      arch: parseArch(space, arch),
      recipe,
      data,
      test: true,
      checkpointDir: runDir,
      threads,
    });
    if (r.status === 'failed' || r.testAcc === null)
      throw new Error(`${network} run ${k}: ${r.error ?? 'no test accuracy'}`);
    const seconds = (performance.now() - t0) / 1000;
    done.push({ variant: v, network, arch, run: k, seed, testAcc: r.testAcc, seconds });
    save();
    console.error(
      `${v}: ${network} run ${k} (seed ${seed}): ${(r.testAcc * 100).toFixed(2)}%, ${seconds.toFixed(0)} s`,
    );
    return runDir;
  };
  for (let k = 0; k < seeds; k++) {
    const teacherDir = trainOne(BASELINE, space.architectures[BASELINE]!, k, null);
    for (const s of students) trainOne(s.network, s.arch, k, distill ? teacherDir : null);
  }
  const accs = (v: string, network: string) =>
    done.filter((r) => r.variant === v && r.network === network).map((r) => r.testAcc * 100);
  const base = accs(`${epochs} epochs`, BASELINE);
  console.log(
    `${BASELINE}, ${epochs} epochs: ${base.map((a) => a.toFixed(2)).join(' / ')} (mean ${mean(base).toFixed(2)}%)`,
  );
  for (const s of students) {
    const a = accs(variant, s.network);
    const t = welchTTest(a, base);
    console.log(
      `${s.network}, ${variant}: ${a.map((x) => x.toFixed(2)).join(' / ')} (mean ${mean(a).toFixed(2)}%, sd ${spreadOf(a).std.toFixed(2)}): ` +
        `${(mean(a) - mean(base)).toFixed(2)} points against the baseline's mean, Welch's p ${t ? t.p.toFixed(3) : '?'}`,
    );
  }
}

main();
