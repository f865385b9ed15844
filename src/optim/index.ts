export * from './optimizer';
export * from './sgd';
export * from './rmsprop';
export * from './adam';
export * from './schedule';
export * from './scheduler';
export * from './ema';
