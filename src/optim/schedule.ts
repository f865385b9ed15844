// Learning-rate schedules as pure functions of progress, so a resumed run computes the same
// rate as an uninterrupted one. `t` is measured in epochs and may be fractional (per-step use).
export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'cosine'; epochs: number; minLr?: number }
  | { kind: 'step'; stepEpochs: number; gamma: number }
  | { kind: 'exponential'; gamma: number };

export interface WarmupSpec {
  epochs: number;
  /** Learning rate at t = 0 as a fraction of the base rate. */
  startFactor?: number;
}

/** The learning rate at epoch t (fractional) for a base rate, schedule and optional warm-up. */
export function learningRateAt(t: number, baseLr: number, schedule: ScheduleSpec, warmup?: WarmupSpec): number {
  const w = warmup?.epochs ?? 0;
  if (w > 0 && t < w) {
    const start = warmup?.startFactor ?? 0.01;
    return baseLr * (start + (1 - start) * (t / w));
  }
  const s = t - w;
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'cosine': {
      const span = Math.max(schedule.epochs - w, 1e-9);
      const min = schedule.minLr ?? 0;
      const p = Math.min(Math.max(s / span, 0), 1);
      return min + 0.5 * (baseLr - min) * (1 + Math.cos(Math.PI * p));
    }
    case 'step':
      return baseLr * schedule.gamma ** Math.floor(s / schedule.stepEpochs);
    case 'exponential':
      // Per-epoch decay (FBNetV3: 0.963 per epoch in search): constant within an epoch.
      return baseLr * schedule.gamma ** Math.floor(s);
  }
}
