// Costs that need no engine: analytic FLOPs (MACs) and parameters, the cost model a search
// records and constrains (with latency from a lookup table), and resource constraints.
export * from './layerCost';
export * from './netCost';
export * from './costModel';
export * from './constraints';
