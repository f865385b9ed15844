// The trainer's step for one batch: cross-entropy against the labels (or mixup's soft targets,
// with the recipe's label smoothing), blended with a teacher's softened predictions when the
// recipe distils, then backward and the recipe's gradient clipping. A supernet method that
// trains one sampled path per step (SPOS) can use it as its step too.
import { noGrad } from '../engine/autograd';
import type { Batch } from '../data/loader';
import { crossEntropy, klDiv } from '../nn/functional';
import type { Module } from '../nn/module';
import { clipGradNorm } from './clipGradNorm';
import type { Recipe } from './recipe';
import type { StepResult } from './trainLoop';

/** A step hook for runTrainLoop; it makes tensors, so it runs inside the loop's memory scope. */
export function classificationStep(model: Module, r: Recipe, teacher?: Module): (batch: Batch) => StepResult {
  return (batch) => {
    model.zeroGrad();
    const logits = model.forward(batch.x);
    const target = batch.target ?? batch.y;
    let loss = crossEntropy(logits, target, { labelSmoothing: r.labelSmoothing });
    if (teacher && r.distill) {
      const tLogits = noGrad(() => teacher.forward(batch.x));
      const T = r.distill.temperature;
      const kd = klDiv(logits.div(T).logSoftmax(1), tLogits.div(T).softmax(1), 'batchmean').mul(T * T);
      loss = kd.mul(r.distill.weight).add(loss.mul(1 - r.distill.weight));
    }
    const value = loss.item();
    if (!Number.isFinite(value)) return { loss: value, hits: 0 };
    loss.backward();
    if (r.gradClip > 0) clipGradNorm(model, r.gradClip);
    const hits = logits.argmax(1).eq(batch.y).sum().item();
    return { loss: value, hits };
  };
}
