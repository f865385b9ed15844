// Statistics used across tsnas: medians and quantiles, rank correlations, fits. Pure functions
// of number arrays; nothing here loads the engine.
export * from './quantiles';
export * from './correlation';
export * from './fit';
export * from './welch';
