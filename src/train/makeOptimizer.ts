import type { Module } from '../nn/module';
import { Adam, AdamW } from '../optim/adam';
import type { Optimizer } from '../optim/optimizer';
import { RMSProp } from '../optim/rmsprop';
import { SGD } from '../optim/sgd';
import type { ScheduleSpec } from '../optim/schedule';
import type { Recipe } from './recipe';
import { weightDecayGroups } from './weightDecayGroups';

/**
 * The recipe's optimizer over a model. Weight decay skips 1-D tensors (BN and biases): see
 * weightDecayGroups.
 */
export function makeOptimizer(model: Module, r: Recipe): Optimizer {
  const groups = weightDecayGroups(model.parameters(), r.weightDecay);
  switch (r.optimizer) {
    case 'sgd':
      return new SGD(groups, { lr: r.lr, momentum: r.momentum, nesterov: r.nesterov && r.momentum > 0 });
    case 'rmsprop':
      return new RMSProp(groups, { lr: r.lr, momentum: r.momentum, alpha: 0.9, eps: 1e-3 });
    case 'rmsprop-tf':
      return new RMSProp(groups, { lr: r.lr, momentum: r.momentum, alpha: 0.9, eps: 1e-3, tfStyle: true });
    case 'adam':
      return new Adam(groups, { lr: r.lr });
    case 'adamw':
      return new AdamW(groups, { lr: r.lr });
  }
}

export function scheduleOf(r: Recipe): ScheduleSpec {
  switch (r.schedule) {
    case 'cosine':
      return { kind: 'cosine', epochs: r.epochs, minLr: r.minLr };
    case 'step':
      return { kind: 'step', stepEpochs: r.stepEpochs, gamma: r.gamma };
    case 'exponential':
      return { kind: 'exponential', gamma: r.gamma };
    case 'constant':
      return { kind: 'constant' };
  }
}
