export * from './imageSet';
export * from './dataSource';
export * from './split';
export * from './loader';
export { readIdx, type IdxArray } from './idx';
export { type ResizeMode, RESIZE_MODES } from './imageDecode';
export * from './modelDescription';
