// FBNet's differentiable, latency-aware architecture search (DNAS): the supernet over a
// layer-wise space, per-candidate costs, the latency-aware loss, the temperature schedule, the
// resumable search loop and sampling from the learned distribution. docs/fbnet.md describes it.
export * from './layout';
export * from './candidateCosts';
export * from './temperature';
export * from './loss';
export * from './mixedOp';
export * from './supernet';
export * from './dnas';
export * from './sampling';
export * from './latencyCosts';
export * from './report';
export * from './dnasStrategy';
