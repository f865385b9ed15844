// A path's one-shot fitness (SPOS): its validation accuracy with the supernet's shared weights,
// after BatchNorm recalibration on a few training batches (recalibrateBatchNorm.ts: the shared
// running statistics describe the mixture of paths trained, not this one; the authors used 200
// batches). The recalibration batches and the validation set are read once and held as tensors,
// so every path is measured on the same images; `dispose` frees them. A path that is a network of
// its own (a multi-branch path's child network, branchChildNetwork.ts: NSE's rounds) is measured
// the same way by `childOneShotAccuracy`, its batches read from the loaders as it goes.
import { noGrad } from '../engine/autograd';
import { keep, tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { disposeBatch, type Batch, type BatchLoader } from '../data/loader';
import type { Module } from '../nn/module';
import { recalibrateBatchNorm } from './recalibrateBatchNorm';
import type { SupernetNetwork } from './supernetNetwork';

export class OneShotAccuracy {
  private readonly recal: Tensor[] = [];
  private readonly val: Array<{ x: Tensor; y: Tensor; size: number }> = [];
  /** Paths measured so far. */
  measured = 0;

  /**
   * `train`: the first `recalBatches` batches of its epoch 0 recalibrate; `val`: every batch of
   * its epoch 0 measures.
   */
  constructor(
    readonly supernet: SupernetNetwork,
    o: { train: BatchLoader; val: BatchLoader; recalBatches: number },
  ) {
    if (!(Number.isInteger(o.recalBatches) && o.recalBatches >= 0))
      throw new Error(`OneShotAccuracy: recalBatches must be a non-negative integer, got ${o.recalBatches}`);
    try {
      if (o.recalBatches > 0) {
        for (const b of o.train.epoch(0)) {
          this.recal.push(keep(b.x));
          b.y.dispose();
          b.target?.dispose();
          if (this.recal.length >= o.recalBatches) break;
        }
      }
      for (const b of o.val.epoch(0)) {
        this.val.push({ x: keep(b.x), y: keep(b.y), size: b.size });
        b.target?.dispose();
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
    if (!this.val.length) {
      this.dispose();
      throw new Error('OneShotAccuracy: the validation loader gave no batch; give it some images');
    }
  }

  /** Recalibration batches held (fewer than asked when the training split is small). */
  get recalBatches(): number {
    return this.recal.length;
  }

  /**
   * Validation accuracy of the path, after recalibrating BatchNorm on the held training batches
   * (unless `recalibrate` is false: then the running statistics the supernet has now are used).
   * Leaves the supernet in its train / eval mode; the running statistics stay those of this path.
   */
  accuracy(indices: readonly number[], o: { recalibrate?: boolean } = {}): number {
    const net = this.supernet;
    const forward = (x: Tensor) => net.forwardPath(x, indices);
    if (o.recalibrate ?? true) recalibrateBatchNorm(net, this.recal, forward);
    const acc = accuracyOver(net, forward, this.val);
    this.measured++;
    return acc;
  }

  dispose(): void {
    for (const x of this.recal) x.dispose();
    for (const b of this.val) {
      b.x.dispose();
      b.y.dispose();
    }
    this.recal.length = 0;
    this.val.length = 0;
  }
}

interface LabelledBatch {
  x: Tensor;
  y: Tensor;
  size: number;
}

/** The share of the batches' images `forward` classifies right, in eval mode without gradients (`net`'s mode restored). */
function accuracyOver(
  net: Module,
  forward: (x: Tensor) => Tensor,
  batches: Iterable<LabelledBatch>,
  release?: (b: LabelledBatch) => void,
): number {
  const wasTraining = net.training;
  net.eval();
  let hits = 0;
  let n = 0;
  try {
    noGrad(() => {
      for (const b of batches) {
        try {
          hits += tidy(() => forward(b.x).argmax(1).eq(b.y).sum().item());
          n += b.size;
        } finally {
          release?.(b);
        }
      }
    });
  } finally {
    net.train(wasTraining);
  }
  return n ? hits / n : NaN;
}

/**
 * One-shot accuracy of a path extracted as a network of its own (its weights the supernet's):
 * BatchNorm recalibrated on the first `recalBatches` batches of `train`'s epoch `recalEpoch`, then
 * the validation accuracy over `val`'s epoch 0. The batches are read as it goes and freed.
 */
export function childOneShotAccuracy(
  child: Module,
  o: { train: BatchLoader; recalEpoch: number; recalBatches: number; val: BatchLoader },
): number {
  const xs: Batch[] = [];
  try {
    for (const b of o.train.epoch(o.recalEpoch)) {
      xs.push(b);
      if (xs.length >= o.recalBatches) break;
    }
    recalibrateBatchNorm(
      child,
      xs.map((b) => b.x),
    );
  } finally {
    for (const b of xs) disposeBatch(b);
  }
  return accuracyOver(
    child,
    (x) => child.forward(x),
    o.val.epoch(0),
    (b) => disposeBatch(b as Batch),
  );
}
