import type { Tensor } from '../engine/tensor';
import { dropout, dropPath } from './functional';
import { Module } from './module';

export class Dropout extends Module {
  constructor(readonly p: number) {
    super();
    if (p < 0 || p >= 1) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}

/** Stochastic depth on a residual branch: drops whole samples in training. */
export class DropPath extends Module {
  constructor(readonly p: number) {
    super();
    if (p < 0 || p >= 1) throw new Error(`DropPath: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropPath(x, this.p, this.training);
  }
}
