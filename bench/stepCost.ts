// The scaffolding of the training-step benchmarks (supernetCost.ts, supernetStepCost.ts): each
// variant measured in a fresh process of the same script (so peak RSS is its own), the order
// alternating over rounds; in the child, timed steps of forward + cross-entropy + backward + SGD.
import { execFileSync } from 'node:child_process';
import { tidy } from '../src/engine/memory';
import type { Tensor } from '../src/engine/tensor';
import { crossEntropy } from '../src/nn/functional';
import type { SGD } from '../src/optim/sgd';
import { arg } from './args';

/**
 * `warmup + steps` training steps; the milliseconds of the timed ones. `afterStep(output)` runs
 * inside each timed step's memory scope (to read what the step ran, or the live tensors).
 */
export function timeSteps<F extends { logits: Tensor }>(o: {
  forward: () => F;
  labels: Tensor;
  optimizer: SGD;
  steps: number;
  warmup: number;
  afterStep?: (f: F) => void;
}): number[] {
  const times: number[] = [];
  for (let s = 0; s < o.warmup + o.steps; s++) {
    const t0 = performance.now();
    tidy(() => {
      o.optimizer.zeroGrad();
      const f = o.forward();
      const loss = crossEntropy(f.logits, o.labels);
      loss.backward();
      o.optimizer.step();
      loss.item();
      if (s >= o.warmup) o.afterStep?.(f);
    });
    if (s >= o.warmup) times.push(performance.now() - t0);
  }
  return times;
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
