export * from './recipe';
export * from './trainer';
export * from './checkpoint';
export * from './evaluate';
export * from './makeOptimizer';
