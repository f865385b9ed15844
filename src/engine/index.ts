export { Tensor, type MemoryFormat } from './tensor';
export { type DType, DTYPES } from './dtype';
export { tidy, keep, dispose, memory, Tracked } from './memory';
export * from './creation';
export { noGrad, enableGrad, isGradEnabled } from './autograd';
export * from './runtime';
export * from './safetensors';
export * from './profiler';
export { blasInUse, type BlasInfo } from './blas';
