// Studies: the store (SQLite), the strategy interface, the search loop, configuration, report data.
export * from './types';
export * from './schema';
export * from './store';
export * from './strategy';
export * from './runSearch';
export * from './config';
export * from './setupSearch';
export * from './reportData';
export * from './seeds';
export * from './worker';
