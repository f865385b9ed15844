export * from './recipe';
export * from './trainer';
export * from './checkpoint';
export * from './evaluate';
export * from './makeOptimizer';
export * from './archRecipe';
export * from './restoreNetwork';
export * from './trainArchitecture';
