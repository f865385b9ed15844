// FBNetV3's Neural Architecture-Recipe Search (NARS, spec fbnetv3.md; docs/fbnetv3.md): the
// predictor (an architecture encoder, a proxy head for free statistics, an accuracy head reading
// [embedding, recipe]), stage 1 (a Sobol pool inside a constraint window, pretraining), stage 2
// (rounds of candidates with early stopping and refits), stage 3 (a genetic search per budget
// scored by the predictor), the study strategy and its report. predictor.ts loads the engine;
// the rest does not.
export * from './options';
export * from './window';
export * from './searchSpace';
export * from './pool';
export * from './earlyStop';
export * from './encoding';
export * from './state';
export * from './stages';
export * from './stage3';
export * from './report';
export * from './strategy';
