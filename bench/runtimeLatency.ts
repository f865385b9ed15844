// Latency tables in the runtimes users deploy to (issue 15): per target (engine-cpu, ort-cpu,
// browser-wasm) a table of a space is built and checked against N whole networks timed in the
// same runtime (Spearman, MAPE); the same N architectures' measured latencies are rank-correlated
// between the targets (do they agree on which network is faster?); and every named architecture
// of every space is exported and its ONNX outputs compared with the engine's (round-trip error).
// For the ONNX targets, one table per op timing (opTiming.ts: `before`, one call per op; `after`,
// --copies copies less the call baseline), checked against the same measured networks.
//
//   nice -n 5 node dist/bench/runtimeLatency.js [--space fbnet-s] [--input 1x28x28] [--n 30]
//     [--warmup 10] [--repeats 10] [--rounds 2] [--calibrate 6] [--targets engine-cpu,ort-cpu,browser-wasm]
//     [--op-timings before,after] [--copies 1] [--no-round-trip] [--save DIR]
// --save DIR writes every table built (DIR/<target>.<op timing>.lut.json), e.g. for a search's --lut.
import * as path from 'node:path';
import { buildNetwork } from '../src/builder/buildNetwork';
import { manualSeed } from '../src/engine';
import { exportNetwork, verifyExport } from '../src/export';
import {
  buildLatencyTable,
  DEFAULT_OP_TIMING,
  makeLatencyTarget,
  ONE_CALL_PER_OP,
  predictLatency,
  validateLatencyTable,
  validationArchs,
  writeLatencyTable,
  type LatencyTable,
  type OpTiming,
} from '../src/latency';
import { parseArch } from '../src/space/archFormat';
import { loadSpace, namedArchitectures } from '../src/space/registry';
import { mape, spearman } from '../src/stats';
import { arg } from './args';

/** Mean of (measured - predicted) / measured, percent: the sign says which way a table misses. */
const meanErrorPct = (predicted: number[], measured: number[]) =>
  (100 * measured.reduce((a, m, i) => a + (m - predicted[i]!) / m, 0)) / measured.length;

async function main(): Promise<void> {
  const space = loadSpace(arg('space', 'fbnet-s'));
  const inputArg = arg('input', '');
  const input = inputArg ? (inputArg.split('x').map(Number) as [number, number, number]) : undefined;
  const n = Number(arg('n', '30'));
  const protocol = {
    warmup: Number(arg('warmup', '10')),
    repeats: Number(arg('repeats', '10')),
    rounds: Number(arg('rounds', '2')),
  };
  const targets = arg('targets', 'engine-cpu,ort-cpu,browser-wasm').split(',');
  const copies = Number(arg('copies', String(DEFAULT_OP_TIMING.copies)));
  const timings: Record<string, OpTiming> = { before: ONE_CALL_PER_OP, after: { copies, subtractCall: true } };
  const timingNames = arg('op-timings', 'before,after').split(',');
  const measured: Record<string, number[]> = {};
  const rows: string[] = [];
  for (const name of targets) {
    const t0 = Date.now();
    // The engine has one way to time an op; an ONNX target gets a table per op timing, the last of
    // which is validated (whole networks, one call each: the same for every table), and every
    // table is scored against those measured networks.
    const variants = name === 'engine-cpu' ? ['-'] : timingNames;
    const tables: { variant: string; table: LatencyTable; seconds: number }[] = [];
    let validated: Awaited<ReturnType<typeof validateLatencyTable>> | null = null;
    for (const [vi, variant] of variants.entries()) {
      const tv = Date.now();
      const opTiming = variant === '-' ? undefined : timings[variant];
      if (variant !== '-' && !opTiming) throw new Error(`--op-timings: unknown '${variant}' (before, after)`);
      const target = await makeLatencyTarget(name, { threads: 1, hostname: false, ...(opTiming ? { opTiming } : {}) });
      try {
        const table = await buildLatencyTable(space, {
          target,
          input,
          ...protocol,
          calibrate: Number(arg('calibrate', '6')),
        });
        tables.push({ variant, table, seconds: (Date.now() - tv) / 1000 });
        const save = arg('save', '');
        if (save) writeLatencyTable(path.join(save, `${name}.${variant === '-' ? 'table' : variant}.lut.json`), table);
        if (vi === variants.length - 1)
          validated = await validateLatencyTable(space, table, { target, n, seed: 0, ...protocol });
      } finally {
        await target.close?.();
      }
    }
    const r = validated!;
    measured[name] = r.rows.map((row) => row.measuredUs);
    const mean = measured[name]!.reduce((a, v) => a + v, 0) / n;
    const archs = validationArchs(space, tables[0]!.table, n, 0);
    for (const { variant, table, seconds } of tables) {
      const predicted = archs.map((a) => predictLatency(table, space, a));
      const sums = predicted.map((p) => p - table.overheadUs);
      const s = table.target.settings;
      const how = variant === '-' ? 'one forward per op' : `${s.opTiming}, ${s.opCopies} copies`;
      rows.push(
        `| ${name} | ${how} | ${table.target.runtime} ${table.target.version} | ${Object.keys(table.entries).length} | ${table.overheadUs.toFixed(0)} | ` +
          `${mean.toFixed(0)} | ${spearman(predicted, measured[name]!).toFixed(3)} | ${mape(predicted, measured[name]!).toFixed(1)}% | ` +
          `${mape(sums, measured[name]!).toFixed(1)}% | ${meanErrorPct(predicted, measured[name]!).toFixed(1)}% | ${table.noise.discardedRuns} | ${seconds.toFixed(0)} s |`,
      );
      console.error(
        `${name} (${how}): Spearman ${spearman(predicted, measured[name]!).toFixed(3)}, MAPE ${mape(predicted, measured[name]!).toFixed(1)}%`,
      );
    }
    console.error(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log(
    `## Table accuracy per target (${space.name}, input ${input ? input.join('x') : space.input.join('x')}, ${n} networks, seed 0, 1 thread, ${protocol.repeats} runs in ${protocol.rounds} rounds)\n`,
  );
  console.log(
    '| target | op timing | runtime | ops | overheadUs | mean measured (us) | Spearman | MAPE | MAPE sum only | mean error | discarded runs (build) | build |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\n## Rank correlation of measured latency between targets (the same ${n} architectures)\n`);
  console.log(`| | ${targets.join(' | ')} |\n|---|${targets.map(() => '---|').join('')}`);
  for (const a of targets)
    console.log(`| ${a} | ${targets.map((b) => spearman(measured[a]!, measured[b]!).toFixed(3)).join(' | ')} |`);
  if (process.argv.includes('--no-round-trip')) return;
  console.log(
    '\n## Export round trip: max abs difference, onnxruntime-node vs the engine (batch 2, random inputs, fresh weights)\n',
  );
  console.log('| architecture | space | input | nodes | max abs diff | max abs logit |\n|---|---|---|---|---|---|');
  for (const named of namedArchitectures()) {
    const s = loadSpace(named.space);
    manualSeed(0);
    const net = buildNetwork(s, parseArch(s, named.arch));
    try {
      const { bytes, summary } = exportNetwork(net);
      const v = await verifyExport(net, bytes, net.desc.input, { batch: 2 });
      console.log(
        `| ${named.name} | ${named.space} | ${net.desc.input.join('x')} | ${summary.nodes} | ${v.maxAbsDiff.toExponential(2)} | ${v.maxAbsOutput.toFixed(3)} |`,
      );
    } finally {
      net.dispose();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
