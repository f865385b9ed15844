// The table of bench/mainJob.sh: one row per main job (budget, seed), its searched network against
// fbnet-s-baseline trained with the same final recipe in the same study, then per budget the
// medians over the seeds and the means: the results' mean test accuracy against the baseline's
// mean over the same study seeds (each run's final seeds derive from its study seed), with Welch's
// t-test (each network's mean over its final runs is one value per study).
// Run: node dist/bench/mainJobTable.js RUNS.tsv [--json FILE]   (lines: budget, seed, seconds, the run's JSON output)
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median } from '../src/stats/quantiles';
import { spreadOf, welchTTest } from '../src/stats/welch';
import { summarizeFinalNetworks, type FinalTrainingState } from '../src/search/finalTraining';

interface Row {
  budget: string;
  seed: string;
  seconds: number;
  final: FinalTrainingState;
}

const pct = (v: number | null) => (v == null ? '?' : `${(v * 100).toFixed(2)}%`);
const ms = (v: number | null) => (v == null ? '?' : `${(v / 1000).toFixed(2)} ms`);
const minutes = (s: number) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

/** 'main' (main.sh chose the budget): the budget it says it chose, from the run's stderr. */
function budgetOf(budget: string, json: string): string {
  if (budget !== 'main') return budget;
  const err = path.join(path.dirname(json), 'main.err');
  const said = fs.existsSync(err) ? /the budget is ([\d.]+)x/.exec(fs.readFileSync(err, 'utf8')) : null;
  return said ? said[1]! : budget;
}

/** The result's (or the first reference's) mean test accuracy over its final runs in one study. */
function meanAcc(final: FinalTrainingState, role: 'result' | 'reference'): number {
  return summarizeFinalNetworks(final.networks).find((n) => n.role === role)?.meanTestAcc ?? NaN;
}

function readRows(file: string): Row[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'))
    .flatMap(([budget, seed, seconds, json]) => {
      // The search prints one JSON object per line; the last is its summary.
      const summary = JSON.parse(fs.readFileSync(json!, 'utf8').trim().split('\n').at(-1)!) as {
        finalTraining?: FinalTrainingState;
      };
      if (!summary.finalTraining) {
        console.error(`${json}: no final training in the run's output: left out`);
        return [];
      }
      return [
        { budget: budgetOf(budget!, json!), seed: seed!, seconds: Number(seconds), final: summary.finalTraining },
      ];
    });
}

// `--json FILE` also writes the runs and the per-budget summaries (what main.sh cites).
const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const rows = readRows(args[0] ?? 'runs/mainjob-bench/runs.tsv');
console.log(
  '| budget | seed | searched network | table / measured latency | test acc | ' +
    'fbnet-s-baseline: table / measured | test acc | points | speed-up (table / measured) | time |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const { budget, seed, seconds, final } of rows) {
  const result = final.networks.find((n) => n.role === 'result')!;
  const ref = final.networks.find((n) => n.role === 'reference')!;
  const c = final.comparisons[0]!;
  const measuredSpeedup =
    result.measuredLatencyUs && ref.measuredLatencyUs ? ref.measuredLatencyUs / result.measuredLatencyUs : null;
  console.log(
    `| ${budget}x | ${seed} | \`${result.arch}\` (${result.source ?? '?'}) | ` +
      `${ms(result.tableLatencyUs)} / ${ms(result.measuredLatencyUs)} | ${pct(result.testAcc)} | ` +
      `${ms(ref.tableLatencyUs)} / ${ms(ref.measuredLatencyUs)} | ${pct(ref.testAcc)} | ` +
      `${c.accuracyPoints?.toFixed(2) ?? '?'} | ${c.speedup?.toFixed(2) ?? '?'}x / ${measuredSpeedup?.toFixed(2) ?? '?'}x | ` +
      `${minutes(seconds)} |`,
  );
}
interface BudgetSummary {
  budget: string;
  runs: number;
  seeds: string[];
  /** Each run's own time, seconds. */
  seconds: number[];
  medianPoints: number;
  medianSpeedup: number;
  beats: number;
  /** Per study: the result's and the baseline's mean test accuracy over its final runs. */
  searched: number[];
  baseline: number[];
  differencePoints: number;
  welch: { t: number; dof: number; p: number } | null;
  /** One sentence: the means over the seeds and the test. */
  text: string;
}

const spreadCell = (v: number[]) => {
  const s = spreadOf(v);
  return `${pct(s.mean)} ± ${(s.std * 100).toFixed(2)} (${pct(s.min)}-${pct(s.max)})`;
};

function summarize(budget: string): BudgetSummary {
  const runs = rows.filter((r) => r.budget === budget);
  const at = runs.map((r) => r.final.comparisons[0]!);
  const searched = runs.map((r) => meanAcc(r.final, 'result'));
  const baseline = runs.map((r) => meanAcc(r.final, 'reference'));
  const test = welchTTest(searched, baseline);
  const differencePoints = (spreadOf(searched).mean - spreadOf(baseline).mean) * 100;
  const seeds = runs.map((r) => r.seed);
  const beats = at.filter((c) => c.beats).length;
  const speedup = median(at.map((c) => c.speedup ?? NaN));
  const text =
    `over ${runs.length} runs of the main job at ${budget}x (seeds ${seeds.join(', ')}), the searched networks ` +
    `(median ${speedup.toFixed(2)}x as fast) average ${pct(spreadOf(searched).mean)} against fbnet-s-baseline's ` +
    `${pct(spreadOf(baseline).mean)} over the same seeds: ${differencePoints >= 0 ? '+' : ''}${differencePoints.toFixed(2)} points, ` +
    (test
      ? `${test.p < 0.05 ? 'larger than' : 'within'} the noise at p = ${test.p.toFixed(3)} (Welch's t-test)`
      : 'one run: no test') +
    `; ${beats} of ${runs.length} runs beat the baseline`;
  return {
    budget,
    runs: runs.length,
    seeds,
    seconds: runs.map((r) => r.seconds),
    medianPoints: median(at.map((c) => c.accuracyPoints ?? NaN)),
    medianSpeedup: speedup,
    beats,
    searched,
    baseline,
    differencePoints,
    welch: test ? { t: test.t, dof: test.dof, p: test.p } : null,
    text,
  };
}

const summaries = [...new Set(rows.map((r) => r.budget))].map(summarize);
console.log(
  '\n| budget | runs | median points | median speed-up (table) | beats the baseline | ' +
    'searched: mean ± sd (range) | fbnet-s-baseline, same seeds | difference | Welch |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const b of summaries)
  console.log(
    `| ${b.budget}x | ${b.runs} | ${b.medianPoints.toFixed(2)} | ${b.medianSpeedup.toFixed(2)}x | ` +
      `${b.beats} of ${b.runs} | ${spreadCell(b.searched)} | ${spreadCell(b.baseline)} | ` +
      `${b.differencePoints.toFixed(2)} points | ` +
      `${b.welch ? `t = ${b.welch.t.toFixed(2)}, p = ${b.welch.p.toFixed(3)}` : 'one run'} |`,
  );
for (const b of summaries) console.log(b.text);
if (jsonOut) {
  const runsOut = rows.map(({ budget, seed, seconds, final }) => ({
    budget,
    seed,
    seconds,
    networks: final.networks.map(({ role, name, arch, seed: s, testAcc, tableLatencyUs, measuredLatencyUs }) => ({
      role,
      name,
      arch,
      seed: s,
      testAcc,
      tableLatencyUs,
      measuredLatencyUs,
    })),
    statement: final.comparisons[0]?.text ?? null,
  }));
  fs.writeFileSync(jsonOut, JSON.stringify({ runs: runsOut, budgets: summaries }, null, 2) + '\n');
  console.error(`wrote ${jsonOut}`);
}
