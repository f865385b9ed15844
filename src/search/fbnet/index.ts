// FBNet's differentiable, latency-aware architecture search (DNAS): the Gumbel-gated mixed op and
// the stochastic supernet with its expected cost, the latency-aware loss (and the costs it
// accepts), the temperature schedule, the resumable search loop, the study strategy and its
// report. What any weight-sharing search uses (layout, costs, path sampling) is in src/supernet.
// docs/fbnet.md describes it.
export * from './temperature';
export * from './loss';
export * from './mixedOp';
export * from './supernet';
export * from './dnas';
export * from './report';
export * from './dnasStrategy';
