export * from './imageSet';
export * from './dataSource';
export * from './split';
export * from './loader';
export { readIdx } from './idx';
export * from './modelDescription';
