// The table of bench/mainJob.sh: one row per main job (budget, seed), its searched network against
// fbnet-s-baseline trained with the same final recipe in the same study, then the medians over the
// seeds at each budget.
// Run: node dist/bench/mainJobTable.js RUNS.tsv   (lines: budget, seed, seconds, the run's JSON output)
import * as fs from 'node:fs';
import { median } from '../src/stats/quantiles';
import type { FinalTrainingState } from '../src/search/finalTraining';

interface Row {
  budget: string;
  seed: string;
  seconds: number;
  final: FinalTrainingState;
}

const pct = (v: number | null) => (v == null ? '?' : `${(v * 100).toFixed(2)}%`);
const ms = (v: number | null) => (v == null ? '?' : `${(v / 1000).toFixed(2)} ms`);
const minutes = (s: number) => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

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
      return [{ budget: budget!, seed: seed!, seconds: Number(seconds), final: summary.finalTraining }];
    });
}

const rows = readRows(process.argv[2] ?? 'runs/mainjob-bench/runs.tsv');
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
console.log('\n| budget | runs | median points | median speed-up (table) | beats the baseline |');
console.log('|---|---|---|---|---|');
for (const budget of [...new Set(rows.map((r) => r.budget))]) {
  const at = rows.filter((r) => r.budget === budget).map((r) => r.final.comparisons[0]!);
  console.log(
    `| ${budget}x | ${at.length} | ${median(at.map((c) => c.accuracyPoints ?? NaN)).toFixed(2)} | ` +
      `${median(at.map((c) => c.speedup ?? NaN)).toFixed(2)}x | ${at.filter((c) => c.beats).length} of ${at.length} |`,
  );
}
