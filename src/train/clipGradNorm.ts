import { noGrad } from '../engine/autograd';
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';

/** Scales all gradients so their global L2 norm is at most maxNorm (PyTorch's clip_grad_norm_). */
export function clipGradNorm(model: Module, maxNorm: number): number {
  return noGrad(() =>
    tidy(() => {
      const grads = model
        .parameters()
        .map((p) => p.grad)
        .filter((g): g is Tensor => g !== null);
      const total = Math.sqrt(grads.reduce((s, g) => s + g.norm(2).item() ** 2, 0));
      const coef = maxNorm / (total + 1e-6);
      if (coef < 1) for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}
