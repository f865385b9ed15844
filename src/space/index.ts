// Search spaces as data: schema, loading, resolution to decision dimensions, decoding, registry,
// and the space's architecture strings.
export * from './types';
export * from './schema';
export * from './resolve';
export * from './decode';
export * from './archFormat';
export * from './layerDims';
export * from './loadSpace';
export * from './registry';
export * from './fingerprint';
