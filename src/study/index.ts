// Studies: the store (SQLite or PostgreSQL), the strategy interface, the search loop and its many-worker form.
export * from './types';
export * from './schema';
export * from './store';
export * from './strategy';
export * from './runSearch';
export * from './runWorker';
export { isPostgresUrl } from './pgDriver';
export * from './worker';
export * from './studyStorage';
export type { SqlDriver, SqlParams } from './sqlDriver';
export { ArtifactMissingError, type StudyFiles, type ArtifactFile } from './artifacts';
export type { StoreHooks } from './storeHooks';
export { stateKey, type StateKey } from './stateKey';
export type { TrialRow } from './storage/trials';
