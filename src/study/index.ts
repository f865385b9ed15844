// Studies: the store (SQLite), the strategy interface and the search loop.
export * from './types';
export * from './schema';
export * from './store';
export * from './strategy';
export * from './runSearch';
export * from './worker';
