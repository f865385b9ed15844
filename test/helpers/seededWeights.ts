// Deterministic, non-trivial weights for export tests: every parameter and BatchNorm statistic
// drawn from a seeded JS generator (not the engine's), so that folding BatchNorm changes the
// numbers and exported files are the same bytes on any machine.
import { noGrad } from '../../src/engine/autograd';
import { randn, tensor } from '../../src/engine/creation';
import { tidy } from '../../src/engine/memory';
import { BatchNorm2d } from '../../src/nn/batchNorm2d';
import type { Module } from '../../src/nn/module';
import { Rng } from '../../src/random/rng';

export function seedWeights(module: Module, seed: number): void {
  const rng = new Rng(seed);
  tidy(() => {
    const bnTensors = new Set(
      module
        .namedModules()
        .filter(([, m]) => m instanceof BatchNorm2d)
        .flatMap(([path]) => ['weight', 'bias'].map((leaf) => (path ? `${path}.${leaf}` : leaf))),
    );
    const state = new Map<string, ReturnType<typeof tensor>>();
    for (const [name, t] of module.stateDict()) {
      if (t.dtype !== 'float32') continue;
      const n = t.size;
      const v = new Float32Array(n);
      const leaf = name.slice(name.lastIndexOf('.') + 1);
      const isBn = bnTensors.has(name);
      for (let i = 0; i < n; i++) {
        if (leaf === 'running_var') v[i] = 0.5 + rng.next();
        else if (leaf === 'running_mean') v[i] = 0.2 * rng.normal();
        else if (isBn && leaf === 'weight') v[i] = 0.5 + rng.next();
        else if (leaf === 'bias') v[i] = 0.1 * rng.normal();
        else v[i] = rng.normal() * Math.sqrt(2 / Math.max(1, n / t.shape[0]!));
      }
      state.set(name, tensor(v, t.shape));
    }
    module.loadStateDict(state, false);
  });
}

/**
 * Sets every BatchNorm's running statistics to those of one random batch (a training-mode
 * forward with momentum 1), as training would leave them: the activations of a deep network
 * then stay near unit scale, and the statistics are far from the fresh mean 0 / variance 1.
 */
export function calibrateBatchNorm(module: Module, inputShape: readonly number[], batch = 8): void {
  const bns = module.namedModules().filter(([, m]) => m instanceof BatchNorm2d) as [string, BatchNorm2d][];
  const saved = bns.map(([, bn]) => bn.momentum);
  for (const [, bn] of bns) bn.momentum = 1;
  module.train();
  noGrad(() => tidy(() => void module.forward(randn([batch, ...inputShape]))));
  module.eval();
  bns.forEach(([, bn], i) => (bn.momentum = saved[i]!));
}
