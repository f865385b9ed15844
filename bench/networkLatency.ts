// Whole-network latency against the latency table, in several fresh processes: the table's
// prediction and each process's measured median (batch 1, eval, channels_last, the table's
// threads), to see how far, and how repeatably, a network's measured latency sits from its table.
//
//   node dist/bench/networkLatency.js --lut TABLE.json [--space fbnet-s] [--processes 3] ARCH...
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArch } from '../src/space/archFormat';
import { predictLatency, readLatencyTable } from '../src/latency/latencyTable';
import { loadSpace } from '../src/space/registry';
import { decode } from '../src/space/decode';
import { arg } from './args';

const valued = new Set(['--lut', '--space', '--processes', '--child']);
const archs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !valued.has(all[i - 1] ?? ''));
const lut = path.resolve(arg('lut'));
const table = readLatencyTable(lut);
const space = loadSpace(arg('space', 'fbnet-s'));
const input = table.input!;

if (process.argv.includes('--child')) {
  // One process, one measurement of one network (the engine loads only here).
  const { EngineTarget } = require('../src/latency/engineTarget') as typeof import('../src/latency/engineTarget');
  const desc = decode(space, parseArch(space, arg('child')), {
    input: [input[0], input[1], input[2]],
    classes: table.classes,
  });
  const t = new EngineTarget({ threads: table.target.threads, hostname: false }).measureSync(
    { kind: 'network', desc },
    desc.input,
    { warmup: 10, repeats: 100 },
  );
  console.log(JSON.stringify({ medianUs: t.medianUs }));
} else {
  const processes = Number(arg('processes', '3'));
  for (const a of archs) {
    const medians: number[] = [];
    for (let p = 0; p < processes; p++) {
      const out = execFileSync(process.execPath, [__filename, '--lut', lut, '--space', space.name, '--child', a], {
        encoding: 'utf8',
      });
      medians.push((JSON.parse(out.trim().split('\n').at(-1)!) as { medianUs: number }).medianUs);
    }
    const predicted = predictLatency(table, space, parseArch(space, a));
    console.log(
      `${a}: table ${predicted.toFixed(0)} us, measured medians ${medians.map((m) => m.toFixed(0)).join(' / ')} us`,
    );
    console.log(JSON.stringify({ arch: a, tableUs: predicted, measuredUs: medians }));
  }
}
