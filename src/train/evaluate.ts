import { noGrad } from '../engine/autograd';
import { tidy } from '../engine/memory';
import { BatchLoader, disposeBatch } from '../data/loader';
import type { Module } from '../nn/module';
import { crossEntropy } from '../nn/functional';

/** Accuracy and mean loss of a model over a data set (validation or test). */
export interface EvaluationMetrics {
  accuracy: number;
  loss: number;
  count: number;
}

/** Accuracy and mean cross-entropy of a model over a loader, in eval mode without gradients. */
export function evaluate(model: Module, loader: BatchLoader): EvaluationMetrics {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  let count = 0;
  try {
    noGrad(() => {
      for (const batch of loader.epoch(0)) {
        try {
          tidy(() => {
            const logits = model.forward(batch.x);
            lossSum += crossEntropy(logits, batch.y, { reduction: 'sum' }).item();
            correct += logits.argmax(1).eq(batch.y).sum().item();
            count += batch.size;
          });
        } finally {
          disposeBatch(batch);
        }
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: count ? correct / count : NaN, loss: count ? lossSum / count : NaN, count };
}
