export * from './format';
export { Rng } from '../random/rng';
export * from './sobol';
export * from './sample';
export * from './features';
export * from './size';
