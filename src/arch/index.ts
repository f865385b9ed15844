// Operations on architectures of a space: sampling (uniform, scrambled Sobol), mutation and
// crossover, feature encodings, the size of a space. Architecture strings are the space's own
// grammar (src/space/archFormat.ts).
export { Rng } from '../random/rng';
export * from './sobol';
export * from './sample';
export * from './features';
export * from './size';
