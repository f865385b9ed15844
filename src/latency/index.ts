// Latency lookup tables: targets, keys, building, predicting, validating. Nothing here loads the
// engine, so predicting from a table stays as light as the analytic cost models; the engine as a
// target is imported on its own: import { EngineTarget } from './latency/engineTarget'.
export * from './target';
export * from './machine';
export * from './timing';
export * from './opTiming';
export * from './latencyKey';
export * from './requiredOps';
export * from './latencyTable';
export * from './buildLatencyTable';
export * from './validateLatencyTable';
export * from './latencyTargets';
