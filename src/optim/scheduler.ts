import type { Optimizer } from './optimizer';
import { learningRateAt, type ScheduleSpec, type WarmupSpec } from './schedule';

/** Applies a schedule to an optimizer: call at(epoch + batch / batches) before each step. */
export class LrScheduler {
  readonly baseLrs: number[];
  constructor(
    readonly optimizer: Optimizer,
    readonly schedule: ScheduleSpec,
    readonly warmup?: WarmupSpec,
  ) {
    this.baseLrs = optimizer.groups.map((g) => g.lr);
  }
  at(t: number): number {
    let first = 0;
    this.optimizer.groups.forEach((g, i) => {
      g.lr = learningRateAt(t, this.baseLrs[i]!, this.schedule, this.warmup);
      if (i === 0) first = g.lr;
    });
    return first;
  }
}
