// What every weight-sharing architecture search uses, whatever its method: the layout of a
// supernet over a layer-wise space, per-candidate costs (FLOPs, a latency table), the choice
// layer and the supernet network that runs a path, path sampling (uniform, from per-layer
// distributions, within a cost budget), a path's standalone child network with the supernet's
// weights, BatchNorm recalibration, and the one-shot parts (active ops of a shrunk space, the
// constrained path sampler, path-only training, one-shot accuracy, the path angle, op scoring and
// shrinking). docs/supernet.md describes them.
export * from './layout';
export * from './candidateCosts';
export * from './latencyCosts';
export * from './choiceLayer';
export * from './supernetNetwork';
export * from './pathSampling';
export * from './budgetSampling';
export * from './childNetwork';
export * from './recalibrateBatchNorm';
export * from './activeOps';
export * from './pathSampler';
export * from './pathAngle';
export * from './angleShrinking';
export * from './oneShotTraining';
export * from './oneShotAccuracy';
export * from './branchChildNetwork';
export * from './supernetSetup';
export * from './weightSharingOptions';
