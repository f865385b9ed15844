// Latency tables in the runtimes users deploy to (issue 15): per target (engine-cpu, ort-cpu,
// browser-wasm) a table of a space is built and checked against N whole networks timed in the
// same runtime (Spearman, MAPE); the same N architectures' measured latencies are rank-correlated
// between the targets (do they agree on which network is faster?); and every named architecture
// of every space is exported and its ONNX outputs compared with the engine's (round-trip error).
//
//   nice -n 5 node dist/bench/runtimeLatency.js [--space fbnet-s] [--input 1x28x28] [--n 30]
//     [--warmup 10] [--repeats 10] [--rounds 2] [--calibrate 6] [--targets engine-cpu,ort-cpu,browser-wasm]
import { buildNetwork } from '../src/builder/buildNetwork';
import { manualSeed } from '../src/engine';
import { exportNetwork, verifyExport } from '../src/export';
import { buildLatencyTable, makeLatencyTarget, validateLatencyTable } from '../src/latency';
import { parseArch } from '../src/space/archFormat';
import { loadSpace, namedArchitectures } from '../src/space/registry';
import { spearman } from '../src/stats';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

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
  const measured: Record<string, number[]> = {};
  const rows: string[] = [];
  for (const name of targets) {
    const t0 = Date.now();
    const target = await makeLatencyTarget(name, { threads: 1, hostname: false });
    try {
      const table = await buildLatencyTable(space, {
        target,
        input,
        ...protocol,
        calibrate: Number(arg('calibrate', '6')),
      });
      const r = await validateLatencyTable(space, table, { target, n, seed: 0, ...protocol });
      measured[name] = r.rows.map((row) => row.measuredUs);
      const mean = measured[name]!.reduce((a, v) => a + v, 0) / n;
      rows.push(
        `| ${name} | ${target.info.runtime} ${target.info.version} | ${Object.keys(table.entries).length} | ${table.overheadUs.toFixed(0)} | ` +
          `${mean.toFixed(0)} | ${r.spearman.toFixed(3)} | ${r.mape.toFixed(1)}% | ${r.mapeSumOnly.toFixed(1)}% | ${r.discardedRuns} | ${((Date.now() - t0) / 1000).toFixed(0)} s |`,
      );
      console.error(`${name}: Spearman ${r.spearman.toFixed(3)}, MAPE ${r.mape.toFixed(1)}%`);
    } finally {
      await target.close?.();
    }
  }
  console.log(
    `## Table accuracy per target (${space.name}, input ${input ? input.join('x') : space.input.join('x')}, ${n} networks, seed 0, 1 thread, ${protocol.repeats} runs in ${protocol.rounds} rounds)\n`,
  );
  console.log(
    '| target | runtime | ops | overheadUs | mean measured (us) | Spearman | MAPE | MAPE sum only | discarded runs | time |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(`\n## Rank correlation of measured latency between targets (the same ${n} architectures)\n`);
  console.log(`| | ${targets.join(' | ')} |\n|---|${targets.map(() => '---|').join('')}`);
  for (const a of targets)
    console.log(`| ${a} | ${targets.map((b) => spearman(measured[a]!, measured[b]!).toFixed(3)).join(' | ')} |`);
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
