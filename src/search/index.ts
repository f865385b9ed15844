// Searching from code: one run of a study (runStudy: create or resume, the loop, the study's
// finalize and final training), the strategy plug-ins' registry and the study configuration.
export { runStudy, defaultStudyName, type RunStudyOptions, type StudyRunResult, type WorkersRunner } from './runStudy';
export { registerStrategy, strategyNames, getStrategy } from './registry';
export type { StrategyPlugin, PluginStudy, FinalizeContext, ReportContext } from './strategyPlugin';
export { studyConfig } from './studyConfig';
export { configureSearch, setupSearch, type SearchSetup } from './setupSearch';
export { ConfigError, loadSearchConfigFile, type SearchConfig, type SearchConfigInput } from './config';
