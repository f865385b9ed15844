// Architecture -> network: the pure builder of a space's architecture on the engine.
export * from './buildNetwork';
