// NSE (search-space evolution, ../shared/spec/nse.md section 3; docs/nse.md): the operation pool
// and its subsets, the gated supernet (learnable Bernoulli gates, multi-branch layers), the
// resumable rounds, the study strategy and its report. gatedSupernet.ts and rounds.ts load the
// engine; the rest does not.
export * from './options';
export * from './pool';
export * from './report';
export * from './nseStrategy';
