// Search spaces as data: schema, loading, resolution to decision dimensions, decoding, registry.
export * from './types';
export * from './schema';
export * from './resolve';
export * from './decode';
export * from './loadSpace';
export * from './registry';
