// A finished study read back: its Pareto front (accuracy against latency when the study measured
// it, else FLOPs) written as CSV, one row per front trial with its architecture and costs.
//
//   node frontCsv.js STORE STUDY [OUT.csv]     (default OUT: STUDY-front.csv)
import * as fs from 'node:fs';
import { loadStudy } from 'tsnas/search';

async function main(): Promise<void> {
  const [store, name, out = `${process.argv[3]}-front.csv`] = process.argv.slice(2);
  if (!store || !name) throw new Error('usage: node frontCsv.js STORE STUDY [OUT.csv]');
  // A study is read without its evaluator: only running it again needs the objective.
  const study = await loadStudy({ store, name });
  try {
    const complete = study.trials({ state: 'complete' });
    const cost = complete.length > 0 && complete.every((t) => t.costs.latencyUs != null) ? 'latencyUs' : 'flops';
    const metric = study.objective.metric;
    const front = study.paretoFront({ cost });
    const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const rows = [
      ['trial', metric, cost, 'params', 'arch'].join(','),
      ...front.map((t) => [t.number, t.metrics[metric], t.costs[cost], t.costs.params, quote(t.arch)].join(',')),
    ];
    fs.writeFileSync(out, `${rows.join('\n')}\n`);
    console.log(`${front.length} of ${complete.length} complete trials on the ${metric}-${cost} front: ${out}`);
    console.log(JSON.stringify({ out, cost, front: front.map((t) => t.number), complete: complete.length }));
  } finally {
    study.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
