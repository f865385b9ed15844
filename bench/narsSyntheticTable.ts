// A made-up accuracy table in the tabular evaluator's format (src/evaluate/tabular.ts), for
// debugging the NARS benchmarks until a measured one exists: N distinct architectures of a space
// drawn uniformly (seeded), each with
//   val_acc   the synthetic evaluator's accuracy (src/evaluate/synthetic.ts: choices alone and in
//             pairs, a capacity term rising with log FLOPs, a fixed per-architecture noise),
//   test_acc  val_acc plus Gaussian noise (sd 0.003), like a second split,
//   flops, params at the given input.
// It is NOT evidence about real networks: BENCHMARKS.md says which figures come from it.
//
//   node dist/bench/narsSyntheticTable.js -o runs/tables/synthetic-fbnet-s.json [--space fbnet-s] [--n 3000]
//     [--seed 0] [--input 1x28x28] [--classes 10]
import * as fs from 'node:fs';
import { makeDirs } from '../src/io/outputPath';
import * as path from 'node:path';
import { sampleUniform } from '../src/arch/sample';
import { archCost } from '../src/cost/netCost';
import { syntheticFunction } from '../src/evaluate/synthetic';
import { Rng } from '../src/random/rng';
import { formatArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { parseInputShape } from '../src/space/resolve';
import { arg } from './args';

const o = process.argv.indexOf('-o');
const out = o >= 0 && process.argv[o + 1] ? process.argv[o + 1]! : arg('out', '');
if (!out) {
  console.error(
    'usage: node dist/bench/narsSyntheticTable.js -o FILE [--space fbnet-s] [--n 3000] [--seed 0] [--input 1x28x28]',
  );
  process.exit(2);
}
const space = loadSpace(arg('space', 'fbnet-s'));
const n = Number(arg('n', '3000'));
const seed = Number(arg('seed', '0'));
const decode = { input: parseInputShape(arg('input', '1x28x28')), classes: Number(arg('classes', '10')) };
const fn = syntheticFunction(space, seed, decode);
const rng = new Rng(seed + 1);
const table: Record<string, Record<string, number>> = {};
let draws = 0;
while (Object.keys(table).length < n && draws < 100 * n) {
  draws++;
  const a = sampleUniform(space, rng);
  const key = formatArch(space, a);
  if (key in table) continue;
  const c = archCost(space, a, decode);
  const val = fn.accuracy(a);
  table[key] = { val_acc: val, test_acc: val + 0.003 * rng.normal(), flops: c.flops, params: c.params };
}
makeDirs(path.dirname(path.resolve(out)));
fs.writeFileSync(out, JSON.stringify(table));
console.error(`${Object.keys(table).length} architectures of ${space.name} -> ${out}`);
