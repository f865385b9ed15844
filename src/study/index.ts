// Studies: the store (SQLite or PostgreSQL), the strategy interface, the search loop and its many-worker form.
export * from './types';
export * from './schema';
export * from './store';
export * from './strategy';
export * from './runSearch';
export * from './runWorker';
export { isPostgresUrl } from './pgDriver';
export * from './worker';
