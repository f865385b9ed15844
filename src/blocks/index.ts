export * from './opName';
export * from './registry';
export * from './invertedResidual';
export * from './simpleBlocks';
