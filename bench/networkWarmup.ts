// Why every timed subject warms for at least DEFAULT_WARMUP_MS (issue 15): the same ten fbnet-s
// networks (the latency table's calibration architectures, seed 7919) timed by onnxruntime-node
// with the table protocol (in turn, rounds; 10 warm-up runs) against the same networks interleaved
// with the space's ops (as lut build times them), and each network alone after a long warm-up (as
// a deployed model runs). --warmup-ms 0 gives the protocol before the time floor.
// --passes N instead times the networks in turn N times in a row, in one target kept for all passes
// and in a fresh target per pass, to tell a level that belongs to a session from one that moves
// with time.
// Run: npx tsc -p . && node dist/bench/networkWarmup.js [--warmup-ms 0] [--passes N]
import { OrtCpuTarget } from '../src/latency/ortCpuTarget';
import { measureInRounds, requiredOps, type Measurable } from '../src/latency';
import { decode, loadSpace } from '../src/space';
import { sampleUniformN } from '../src/arch/sample';
import { arg } from './args';

const mean = (x: readonly number[]) => x.reduce((a, b) => a + b, 0) / x.length;

async function main(): Promise<void> {
  const warmupMs = Number(arg('warmup-ms', '20'));
  const space = loadSpace('fbnet-s');
  const input = [1, 28, 28] as [number, number, number];
  const nets: Measurable[] = sampleUniformN(space, 10, 7919).map((a) => ({
    kind: 'network',
    desc: decode(space, a, { input }),
  }));
  const ops: Measurable[] = requiredOps(space, { input }).ops.map((o) => ({ kind: 'op', spec: o.spec }));
  const inputOf = (s: Measurable) => (s.kind === 'op' ? s.spec.input : s.desc.input);
  const passes = Number(arg('passes', '0'));
  if (passes > 0) return overTime(nets, inputOf, warmupMs, passes);
  for (const [what, subjects] of [
    ['in turn (lut validate)', nets],
    ['interleaved with the ops (lut build)', [...ops, ...nets]],
  ] as const) {
    const target = await OrtCpuTarget.create({ threads: 1, hostname: false });
    const t = await measureInRounds(subjects, (s, m) => target.measure(s, inputOf(s), { ...m, warmupMs }), {
      warmup: 10,
      repeats: 100,
      rounds: 5,
    });
    target.close();
    console.log(
      `${what}, warm-up 10 runs and ${warmupMs} ms: mean ${mean(t.slice(-nets.length).map((x) => x.medianUs)).toFixed(1)} us`,
    );
  }
  const target = await OrtCpuTarget.create({ threads: 1, hostname: false });
  const alone: number[] = [];
  for (const s of nets)
    alone.push((await target.measure(s, inputOf(s), { warmup: 200, warmupMs, repeats: 500 })).medianUs);
  target.close();
  console.log(`each alone, 200 warm-up runs, 500 timed: mean ${mean(alone).toFixed(1)} us`);
}

/** The networks in turn, pass after pass: in one kept target, then in a fresh one, alternately. */
async function overTime(
  nets: Measurable[],
  inputOf: (s: Measurable) => readonly number[],
  warmupMs: number,
  passes: number,
): Promise<void> {
  const kept = await OrtCpuTarget.create({ threads: 1, hostname: false });
  const start = Date.now();
  const inTurn = async (target: OrtCpuTarget) =>
    mean(
      (
        await measureInRounds(nets, (s, m) => target.measure(s, inputOf(s), { ...m, warmupMs }), {
          warmup: 10,
          repeats: 40,
          rounds: 2,
        })
      ).map((x) => x.medianUs),
    );
  console.log('| pass | seconds | kept target | fresh target |\n|---|---|---|---|');
  for (let p = 0; p < passes; p++) {
    const k = await inTurn(kept);
    const fresh = await OrtCpuTarget.create({ threads: 1, hostname: false });
    const f = await inTurn(fresh);
    fresh.close();
    const secs = ((Date.now() - start) / 1000).toFixed(0);
    console.log(`| ${p + 1} | ${secs} | ${k.toFixed(1)} us | ${f.toFixed(1)} us |`);
  }
  kept.close();
}

void main();
