// A path's one-shot fitness (SPOS): its validation accuracy with the supernet's shared weights,
// after BatchNorm recalibration on a few training batches (recalibrateBatchNorm.ts: the shared
// running statistics describe the mixture of paths trained, not this one; the authors used 200
// batches). The recalibration batches and the validation set are read once and held as tensors,
// so every path is measured on the same images; `dispose` frees them.
import { noGrad } from '../engine/autograd';
import { keep, tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import type { BatchLoader } from '../data/loader';
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
    if (o.recalibrate ?? true) recalibrateBatchNorm(net, this.recal, (x) => net.forwardPath(x, indices));
    const wasTraining = net.training;
    net.eval();
    let hits = 0;
    let n = 0;
    try {
      noGrad(() => {
        for (const b of this.val) {
          hits += tidy(() => net.forwardPath(b.x, indices).argmax(1).eq(b.y).sum().item());
          n += b.size;
        }
      });
    } finally {
      net.train(wasTraining);
    }
    this.measured++;
    return hits / n;
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
