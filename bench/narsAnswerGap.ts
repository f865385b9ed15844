// How far do `study answer`'s answers land from the best architecture within each budget, before
// and after `evaluate` K? (issue 25, item 7.) On a measured table (no training: every evaluation
// is a look-up, so the whole benchmark is CPU seconds), per seed and budget a fresh NARS study of
// the fbnet-s table whose window keeps it above some FLOPs (so it evaluates nothing below them,
// as a study whose window sits above a later budget), then:
//   before    stage 3's answer with stage 2's predictor (what `study answer` gives), and its range;
//   after K   the answer after `evaluate` K (K candidates within the budget, refits), for each K
//             in --k in increasing order, on the same study (a larger K adds what it lacks);
// each answer's gap: the best table accuracy (the objective's field) within the budget minus the
// answer's, in points. For scale: the best of the K evaluated trials within the budget, and the
// expected best of K entries drawn at random within the budget (exact, over the table).
//
//   node dist/bench/narsAnswerGap.js [--table bench/tables/fbnet-s-fmnist.json] [--seeds 0,1,2,3,4]
//     [--trials 20] [--window 'flops>=4.8M'] [--budgets 3M,3.5M,4.4M,5.5M,7M] [--k 4,8]
//
// Output: progress on stderr; a markdown table on stdout, then one JSON line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConstraint } from '../src/cost/constraints';
import { answerStudyBudgets } from '../src/search/answerStudyBudgets';
import { runStudy } from '../src/search/runStudy';
import { StudyStore } from '../src/study/store';
import { loadTable } from '../src/evaluate/tabular';
import { loadSpace } from '../src/space/registry';
import { arg } from './args';

const tableFile = path.resolve(arg('table', 'bench/tables/fbnet-s-fmnist.json'));
const seeds = arg('seeds', '0,1,2,3,4').split(',').map(Number);
const trials = Number(arg('trials', '20'));
const window = arg('window', 'flops>=4.8M');
const budgets = arg('budgets', '3M,3.5M,4.4M,5.5M,7M')
  .split(',')
  .map((b) => parseConstraint(`flops<=${b}`));
const ks = arg('k', '4,8')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const metric = 'accuracy';

interface Cell {
  seed: number;
  budget: string;
  extrapolated: boolean;
  side: string | null;
  distance: number;
  before: number;
  after: Record<number, number>;
  bestEvaluated: Record<number, number>;
}

/** E[max of k distinct entries drawn uniformly from values] (values sorted ascending inside). */
function expectedBestOfK(values: number[], k: number): number {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  if (k >= n) return v[n - 1]!;
  // P(max = v[i]) = C(i, k-1) / C(n, k), i 0-based; C(i, k-1) built up as i grows.
  let logCnk = 0;
  for (let j = 0; j < k; j++) logCnk += Math.log(n - j) - Math.log(j + 1);
  let e = 0;
  let logC = 0; // log C(k-1, k-1)
  for (let i = k - 1; i < n; i++) {
    if (i > k - 1) logC += Math.log(i) - Math.log(i - k + 1);
    e += v[i]! * Math.exp(logC - logCnk);
  }
  return e;
}

async function main(): Promise<void> {
  // The table by canonical architecture string, as the study's trials and answers write them.
  const rows = loadTable(loadSpace('fbnet-s'), tableFile).rows;
  const table = Object.fromEntries(rows);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-answergap-'));
  const store = StudyStore.open(path.join(dir, 'bench.db'));
  const cells: Cell[] = [];
  const within = (max: number) => Object.values(table).filter((r) => r.flops! <= max);
  try {
    for (const seed of seeds)
      for (const budget of budgets) {
        const name = `s${seed}-${budget.max}`;
        await runStudy({
          config: {
            strategy: 'nars',
            space: 'fbnet-s',
            evaluator: `table:${tableFile}`,
            trials,
            seed,
            study: name,
            options: { window },
          },
          store,
        });
        const study = store.requireStudy(name);
        const ask = { store, study, budgets: [budget] };
        const acc = (arch: string) => rows.get(arch)![metric]!;
        const [before] = await answerStudyBudgets(ask);
        const cell: Cell = {
          seed,
          budget: budget.text,
          extrapolated: before!.range!.extrapolated,
          side: before!.range!.side,
          distance: before!.range!.distance,
          before: Number(acc(before!.arch)),
          after: {},
          bestEvaluated: {},
        };
        for (const k of ks) {
          const [after] = await answerStudyBudgets({ ...ask, evaluate: k });
          cell.after[k] = Number(acc(after!.arch));
          const mine = store.trials(study.id).filter((t) => t.source === `answer:${budget.text}`);
          cell.bestEvaluated[k] = Math.max(...mine.map((t) => t.metrics[metric]!));
        }
        cells.push(cell);
        const best = Math.max(...within(budget.max).map((r) => r[metric]!));
        console.error(
          `seed ${seed} ${budget.text}: best within ${best.toFixed(4)}; before ${cell.before.toFixed(4)} ` +
            `(${cell.side ?? 'inside'} ${(100 * cell.distance).toFixed(0)}%)` +
            ks.map((k) => `; after ${k} ${cell.after[k]!.toFixed(4)}`).join(''),
        );
      }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const pts = (v: number) => (100 * v).toFixed(2);
  const stats = (gaps: number[]) =>
    `${pts(gaps.reduce((a, b) => a + b, 0) / gaps.length)} / ${pts(Math.max(...gaps))} / ${gaps.filter((g) => g > 0.01).length}`;
  console.log(
    `Gap to the best table ${metric} within each budget, in points (mean / max / seeds over 1 point), ${seeds.length} seeds; ` +
      `fbnet-s table (${Object.keys(table).length} entries), NARS studies of ${trials} evaluations inside ${window}\n`,
  );
  const head = [
    'budget',
    'entries within',
    'best within',
    'answers outside the evaluated range (mean distance)',
    'before',
    ...ks.map((k) => `after evaluate ${k}`),
    ...ks.map((k) => `best of the ${k} evaluated`),
    ...ks.map((k) => `random ${k} within (expected)`),
  ];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  const summary = budgets.map((b) => {
    const cs = cells.filter((c) => c.budget === b.text);
    const entries = within(b.max).map((r) => r[metric]!);
    const best = Math.max(...entries);
    const out = cs.filter((c) => c.extrapolated);
    const row = {
      budget: b.text,
      entries: entries.length,
      best,
      outside: out.length,
      distance: out.length ? out.reduce((a, c) => a + c.distance, 0) / out.length : 0,
      before: cs.map((c) => best - c.before),
      after: Object.fromEntries(ks.map((k) => [k, cs.map((c) => best - c.after[k]!)])),
      bestEvaluated: Object.fromEntries(ks.map((k) => [k, cs.map((c) => best - c.bestEvaluated[k]!)])),
      random: Object.fromEntries(ks.map((k) => [k, best - expectedBestOfK(entries, k)])),
    };
    console.log(
      `| ${b.text} | ${row.entries} | ${best.toFixed(4)} | ${out.length} of ${cs.length} (${(100 * row.distance).toFixed(0)}% below) | ${stats(row.before)} | ` +
        ks.map((k) => stats(row.after[k]!)).join(' | ') +
        ' | ' +
        ks.map((k) => stats(row.bestEvaluated[k]!)).join(' | ') +
        ' | ' +
        ks.map((k) => pts(row.random[k]!)).join(' | ') +
        ' |',
    );
    return row;
  });
  // Does the flag tell the answers to distrust? The gap before, by whether the answer was flagged.
  const gapOf = (c: Cell) => summary.find((r) => r.budget === c.budget)!.best - c.before;
  for (const flagged of [true, false]) {
    const g = cells.filter((c) => c.extrapolated === flagged).map(gapOf);
    console.log(
      `\nAnswers ${flagged ? 'flagged' : 'not flagged'} as extrapolated: ${g.length}` +
        (g.length ? `, gap before ${stats(g)} (mean / max / over 1 point)` : ''),
    );
  }
  console.log(JSON.stringify({ table: tableFile, seeds, trials, window, ks, rows: summary, cells }));
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
