// How many evaluations does NARS need? (issue 12, item 8: NARS against random search and
// regularized evolution on an accuracy table, at 50 and 100 evaluations, >= 20 seeds each; the
// target: NARS at 50 matches or beats regularized evolution at 100.)
//
// Every run is a study of the tabular evaluator on the table (in a temporary store), run by the
// study run (runStudy), seeded by its number:
//   - nars: the 'nars' strategy with its defaults (T = 5 rounds dividing the evaluations, the
//     pool = the table's entries, stage 1 pretraining on their FLOPs and params);
//   - random and evolution: the 'random' and 'evolution' strategies (regularized evolution,
//     P = 20, S = 5); over a table they propose its entries (src/search/finiteCandidates.ts:
//     random draws unevaluated entries uniformly; evolution's child is the unevaluated entry
//     nearest, in differing choices, to the mutated parent).
// Each run's result is its best trial by the table's validation metric; reported per method and
// budget: the mean best validation accuracy (and the test accuracy of that pick when the table has
// one), and how often the run found the table's best entry.
//
//   node dist/bench/narsSampleEfficiency.js TABLE [--space fbnet-s] [--metric val_acc] [--test test_acc]
//     [--seeds 20] [--budgets 50,100] [--methods nars,random,evolution] [--set pretrainEpochs=50,...]
//
// Output: progress on stderr; a markdown table on stdout, then one JSON line.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spaceSize } from '../src/arch/size';
import { loadTable } from '../src/evaluate/tabular';
import { runStudy } from '../src/search/runStudy';
import { loadSpace } from '../src/space/registry';
import { StudyStore } from '../src/study/store';
import { arg } from './args';

const file = process.argv[2] ? path.resolve(process.argv[2]) : '';
if (!file || process.argv[2]!.startsWith('--')) {
  console.error(
    'usage: node dist/bench/narsSampleEfficiency.js TABLE [--space fbnet-s] [--metric val_acc] [--seeds 20] [--budgets 50,100]',
  );
  process.exit(2);
}
const spaceRef = arg('space', 'fbnet-s');
const space = loadSpace(spaceRef);
const metric = arg('metric', 'val_acc');
const testField = arg('test', 'test_acc');
const seeds = Number(arg('seeds', '20'));
const budgets = arg('budgets', '50,100').split(',').map(Number);
const methods = arg('methods', 'nars,random,evolution').split(',');
const narsSet = Object.fromEntries(
  arg('set', '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string])
    .map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]),
);

const table = loadTable(space, file);
const keys = [...table.rows.keys()].filter((k) => Number.isFinite(table.rows.get(k)![metric]));
const best = keys.reduce((a, b) => (table.rows.get(b)![metric]! > table.rows.get(a)![metric]! ? b : a));
const complete = keys.length >= spaceSize(space).count;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-narseff-'));
const store = StudyStore.open(path.join(dir, 'bench.db'));
interface Run {
  method: string;
  budget: number;
  seed: number;
  bestVal: number;
  test: number | null;
  found: boolean;
  seconds: number;
}
const runs: Run[] = [];

async function one(method: string, budget: number, seed: number): Promise<Run> {
  const strategy = method;
  const given = {
    strategy,
    space: spaceRef,
    evaluator: `table:${file}`,
    metrics: { accuracy: metric },
    trials: budget,
    seed,
    options: method === 'nars' ? { ...narsSet } : {},
  };
  const t0 = Date.now();
  // The study's run (the strategy's finalize included: NARS's last refit).
  const { summary } = await runStudy({
    config: { ...given, maxFailed: budget, study: `${method}-${budget}-${seed}` },
    store,
  });
  if (summary.complete < budget)
    throw new Error(`${method} seed ${seed}: ${summary.complete} of ${budget} trials complete (${summary.lastError})`);
  const b = summary.best!;
  return {
    method,
    budget,
    seed,
    bestVal: b.metrics.accuracy!,
    test: table.rows.get(b.arch)![testField] ?? null,
    found: b.arch === best,
    seconds: (Date.now() - t0) / 1000,
  };
}

async function main(): Promise<void> {
  try {
    for (const budget of budgets)
      for (const method of methods)
        for (let seed = 0; seed < seeds; seed++) {
          const r = await one(method, budget, seed);
          runs.push(r);
          console.error(
            `${method} ${budget} seed ${seed}: best ${metric} ${r.bestVal.toFixed(4)}${r.test !== null ? ` (test ${r.test.toFixed(4)})` : ''}${r.found ? ' = the table best' : ''}, ${r.seconds.toFixed(1)} s`,
          );
        }
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const sd = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + (x - mean(v)) ** 2, 0) / Math.max(1, v.length - 1));
  const top = table.rows.get(best)!;
  console.log(
    `Sample efficiency on ${file}: ${keys.length} entries of ${space.name}${complete ? ' (the whole space)' : ` (a part of its ${spaceSize(space).count.toExponential(2)} architectures: every method proposes the table's entries)`}; ` +
      `the table's best ${metric} ${top[metric]!.toFixed(4)}${top[testField] !== undefined ? ` (test ${top[testField]!.toFixed(4)})` : ''}; ${seeds} seeds\n`,
  );
  console.log(
    `| method | evaluations | best ${metric} (mean ± sd) | its ${testField} (mean) | found the table's best | s per run |`,
  );
  console.log('|---|---|---|---|---|---|');
  const summary: Record<string, unknown> = {};
  for (const budget of budgets)
    for (const method of methods) {
      const rs = runs.filter((r) => r.method === method && r.budget === budget);
      const tests = rs.map((r) => r.test).filter((v): v is number => v !== null);
      const row = {
        bestVal: mean(rs.map((r) => r.bestVal)),
        sd: sd(rs.map((r) => r.bestVal)),
        test: tests.length ? mean(tests) : null,
        found: rs.filter((r) => r.found).length,
        runs: rs.length,
        seconds: mean(rs.map((r) => r.seconds)),
      };
      summary[`${method}@${budget}`] = row;
      console.log(
        `| ${method} | ${budget} | ${row.bestVal.toFixed(4)} ± ${row.sd.toFixed(4)} | ${row.test === null ? '-' : row.test.toFixed(4)} | ${row.found}/${row.runs} | ${row.seconds.toFixed(1)} |`,
      );
    }
  // The target at every budget b whose double was run too: NARS at b against evolution at 2b.
  const verdicts: Array<{ nars: number; evolution: number; holds: boolean }> = [];
  for (const b of budgets) {
    const n = summary[`nars@${b}`] as { bestVal: number } | undefined;
    const re = summary[`evolution@${2 * b}`] as { bestVal: number } | undefined;
    if (!n || !re) continue;
    const holds = n.bestVal >= re.bestVal;
    verdicts.push({ nars: b, evolution: 2 * b, holds });
    console.log(
      `\nTarget (NARS at ${b} matches or beats regularized evolution at ${2 * b}): ${n.bestVal.toFixed(4)} vs ${re.bestVal.toFixed(4)}: ${holds ? 'holds' : 'does not hold'}.`,
    );
  }
  console.log(
    JSON.stringify({ table: file, entries: keys.length, complete, seeds, budgets, summary, target: verdicts }),
  );
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
