// Cost models that need no engine: analytic FLOPs (MACs) and parameters.
export * from './layerCost';
export * from './netCost';
