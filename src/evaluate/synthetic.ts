// A synthetic evaluator for testing strategies without training: a deterministic, non-trivial
// "accuracy" of an architecture, instant to compute.
//
//   accuracy = 0.45 + 0.30 * sigmoid(q(x)) + 0.20 * capacity(flops) + noise(arch)
//
// where x is the architecture's feature vector (src/arch features: one-hot choices, scaled
// ranges); q = 0.8 * (w . x) + 0.6 * sum_k (u_k . x)(v_k . x), each part standardised over random
// architectures, with w, u_k, v_k drawn from N(0, 1) by the seed (so choices matter alone and in
// pairs); capacity rises with log FLOPs with diminishing returns (1 - exp(-4t)) / (1 - exp(-4),
// t = the position of log FLOPs between the space's smallest and largest); noise is a fixed
// +-0.002 per architecture, like the spread between training runs. Same seed, same function.
import { features, featureLength } from '../arch/features';
import { formatArch } from '../space/archFormat';
import { sampleUniform } from '../arch/sample';
import { archCost } from '../cost/netCost';
import { Rng } from '../random/rng';
import { additiveMinimum, costsAreAdditive } from '../cost/costModel';
import { deriveSeed, hashString } from '../random/seeds';
import type { Arch, DecodeOptions, Space } from '../space/types';
import { sleep, type EvalJob, type EvalResult, type Evaluator } from './evaluator';

const K = 6;

export interface SyntheticFunction {
  accuracy(arch: Arch): number;
  /** The parts, for tests and plots: standardised quality and capacity in [0, 1]. */
  parts(arch: Arch): { quality: number; capacity: number; noise: number };
}

export function syntheticFunction(space: Space, seed: number, decode: DecodeOptions = {}): SyntheticFunction {
  const n = featureLength(space);
  const rng = new Rng(deriveSeed(seed, hashString(space.name), 0x5e7));
  const gauss = (len: number) => Float64Array.from({ length: len }, () => rng.normal());
  const w = gauss(n);
  const u = Array.from({ length: K }, () => gauss(n));
  const v = Array.from({ length: K }, () => gauss(n));
  const dot = (a: Float64Array, x: Float32Array) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += a[i]! * x[i]!;
    return s;
  };
  const raw = (x: Float32Array) => {
    let inter = 0;
    for (let k = 0; k < K; k++) inter += dot(u[k]!, x) * dot(v[k]!, x);
    return { lin: dot(w, x), inter };
  };
  const logFlops = (a: Arch) => Math.log(archCost(space, a, decode).flops);
  // Standardise over random architectures; the FLOPs range is exact where costs are additive.
  const draws = Array.from({ length: 256 }, () => sampleUniform(space, rng));
  const stats = (xs: number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length) || 1;
    return { m, sd };
  };
  const rs = draws.map((a) => raw(features(space, a)));
  const sl = stats(rs.map((r) => r.lin));
  const si = stats(rs.map((r) => r.inter));
  let lo: number;
  let hi: number;
  if (costsAreAdditive(space)) {
    lo = additiveMinimum(space, logFlops).value;
    hi = -additiveMinimum(space, (a) => -logFlops(a)).value;
  } else {
    const lf = draws.map(logFlops);
    lo = Math.min(...lf);
    hi = Math.max(...lf);
  }
  const span = hi - lo || 1;
  const parts = (arch: Arch) => {
    const r = raw(features(space, arch));
    const quality = 0.8 * ((r.lin - sl.m) / sl.sd) + 0.6 * ((r.inter - si.m) / si.sd);
    const t = Math.min(1, Math.max(0, (logFlops(arch) - lo) / span));
    const capacity = (1 - Math.exp(-4 * t)) / (1 - Math.exp(-4));
    const noise = 0.002 * (2 * (deriveSeed(seed, hashString(formatArch(space, arch))) / 4294967296) - 1);
    return { quality, capacity, noise };
  };
  return {
    parts,
    accuracy(arch) {
      const p = parts(arch);
      return 0.45 + 0.3 / (1 + Math.exp(-p.quality)) + 0.2 * p.capacity + p.noise;
    },
  };
}

export interface SyntheticEvaluatorOptions {
  seed?: number;
  decode?: DecodeOptions;
  /** Sleep this long per trial (tests of interruption and resume). */
  delayMs?: number;
}

export function createSyntheticEvaluator(space: Space, o: SyntheticEvaluatorOptions = {}): Evaluator {
  const seed = o.seed ?? 0;
  const fn = syntheticFunction(space, seed, o.decode);
  return {
    kind: 'synthetic',
    spec: `synthetic:${seed}`,
    description: `synthetic accuracy (seed ${seed})${o.delayMs ? `, ${o.delayMs} ms per trial` : ''}`,
    decode: o.decode ?? {},
    metrics: ['accuracy'],
    recipeFor: () => null,
    async evaluate(job: EvalJob): Promise<EvalResult> {
      if (o.delayMs) {
        const end = Date.now() + o.delayMs;
        while (Date.now() < end) {
          await sleep(Math.min(100, end - Date.now()));
          job.heartbeat();
        }
      }
      return { metrics: { accuracy: fn.accuracy(job.arch) } };
    },
  };
}
