// The scaffolding of the training-step benchmarks (supernetCost.ts, supernetStepCost.ts): each
// variant measured in a fresh process of the same script (so peak RSS is its own), the order
// alternating over rounds; in the child, timed steps of forward + cross-entropy + backward + SGD.
import { execFileSync } from 'node:child_process';
import { tidy } from '../src/engine/memory';
import type { Tensor } from '../src/engine/tensor';
import { crossEntropy } from '../src/nn/functional';

import { arg } from './args';

/** What a timed step calls of its optimizer (an SGD, or one that steps several networks in turn). */
export interface StepOptimizer {
  zeroGrad(): void;
  step(): void;
  dispose(): void;
}

/** Where a step's time goes: milliseconds of each phase (the loss's scalar read closes the step). */
export interface StepPhases {
  zeroGrad: number;
  forward: number;
  /** The loss and its backward pass. */
  backward: number;
  optimizer: number;
  /** The rest: reading the loss, and freeing the step's tensors at the scope's end. */
  other: number;
}

/**
 * `warmup + steps` training steps; the milliseconds of the timed ones, and of their phases.
 * `afterStep(output)` runs inside each timed step's memory scope (to read what the step ran, or
 * the live tensors).
 */
export function timeSteps<F extends { logits: Tensor }>(o: {
  forward: () => F;
  labels: Tensor;
  optimizer: StepOptimizer;
  steps: number;
  warmup: number;
  afterStep?: (f: F) => void;
}): number[] & { phases: StepPhases[] } {
  const times = Object.assign([] as number[], { phases: [] as StepPhases[] });
  for (let s = 0; s < o.warmup + o.steps; s++) {
    const t0 = performance.now();
    const mark = { zeroGrad: 0, forward: 0, backward: 0, optimizer: 0 };
    tidy(() => {
      let t = performance.now();
      const lap = (k: keyof typeof mark) => {
        const now = performance.now();
        mark[k] = now - t;
        t = now;
      };
      o.optimizer.zeroGrad();
      lap('zeroGrad');
      const f = o.forward();
      lap('forward');
      const loss = crossEntropy(f.logits, o.labels);
      loss.backward();
      lap('backward');
      o.optimizer.step();
      lap('optimizer');
      loss.item();
      if (s >= o.warmup) o.afterStep?.(f);
    });
    const total = performance.now() - t0;
    if (s >= o.warmup) {
      times.push(total);
      const known = mark.zeroGrad + mark.forward + mark.backward + mark.optimizer;
      times.phases.push({ ...mark, other: total - known });
    }
  }
  return times;
}

/** The median of each phase over steps. */
export function medianPhases(phases: readonly StepPhases[], median: (xs: number[]) => number): StepPhases {
  const keys = ['zeroGrad', 'forward', 'backward', 'optimizer', 'other'] as const;
  return Object.fromEntries(keys.map((k) => [k, median(phases.map((p) => p[k]))])) as unknown as StepPhases;
}

/**
 * Runs this script once per variant and round with `--variant V` and the given flags passed on,
 * in alternating order, and collects the JSON line each child prints last.
 */
export function runVariants<V extends string, M>(
  variants: readonly V[],
  rounds: number,
  flags: readonly string[],
  progress: (m: M) => string,
): Map<V, M[]> {
  const pass = flags.flatMap((k) => (process.argv.includes(`--${k}`) ? [`--${k}`, arg(k, '')] : []));
  const runs = new Map<V, M[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const out = execFileSync(process.execPath, [process.argv[1]!, '--variant', v, ...pass], { encoding: 'utf8' });
      const m = JSON.parse(out.trim().split('\n').at(-1)!) as M;
      runs.get(v)!.push(m);
      process.stderr.write(`round ${r + 1}/${rounds} ${v.padEnd(8)} ${progress(m)}\n`);
    }
  }
  return runs;
}

/** The child's side: `--variant V` measures V and prints its JSON line; otherwise the parent runs. */
export function childOrParent<V extends string>(
  variants: readonly V[],
  child: (v: V) => unknown,
  parent: () => void,
): void {
  const vi = process.argv.indexOf('--variant');
  if (vi < 0) return parent();
  const v = process.argv[vi + 1] as V;
  if (!variants.includes(v)) throw new Error(`--variant must be one of ${variants.join(', ')}`);
  console.log(JSON.stringify(child(v)));
}
