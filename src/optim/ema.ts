// Exponential moving average of a model's weights (timm's ModelEmaV2): a shadow copy updated
// after each step; evaluate with it by swapping it in.
import { noGrad } from '../engine/autograd';
import { keep } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';

export class ModelEma {
  readonly shadow = new Map<string, Tensor>();

  constructor(
    readonly model: Module,
    readonly decay = 0.9998,
  ) {
    noGrad(() => {
      for (const [name, t] of model.stateDict()) this.shadow.set(name, keep(t.clone()));
    });
  }

  /** shadow = decay * shadow + (1 - decay) * weights; integer buffers are copied. */
  update(): void {
    noGrad(() => {
      for (const [name, t] of this.model.stateDict()) {
        const s = this.shadow.get(name)!;
        if (t.dtype === 'float32' || t.dtype === 'float64') s.lerp_(t, 1 - this.decay);
        else s.copy_(t);
      }
    });
  }

  /** Runs fn with the averaged weights in the model, then puts the trained weights back. */
  withAveragedWeights<T>(fn: () => T): T {
    const saved = noGrad(() => new Map([...this.model.stateDict()].map(([n, t]) => [n, keep(t.clone())])));
    this.model.loadStateDict(this.shadow);
    try {
      return fn();
    } finally {
      this.model.loadStateDict(saved);
      for (const t of saved.values()) t.dispose();
    }
  }

  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
    this.shadow.clear();
  }
}
