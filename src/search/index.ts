// Searching from code: studies (createStudy, loadStudy; a Study's optimize, ask and tell, best
// trial, trials and Pareto front), one run of a study (runStudy: create or resume, the loop, the
// study's finalize and final training), evaluators (a user's objective as functionEvaluator; kinds
// of one's own with registerEvaluator), the strategy plug-ins' registry and the configuration.
export { runStudy, defaultStudyName, type RunStudyOptions, type StudyRunResult, type WorkersRunner } from './runStudy';
export { registerStrategy, strategyNames, getStrategy } from './registry';
export type {
  StrategyPlugin,
  PluginStudy,
  FinalizeContext,
  ReportContext,
  AnswerContext,
  BudgetAnswer,
  FlagSpec,
  SetupForCheck,
} from './strategyPlugin';
export { answerStudyBudgets, budgetAnsweringStrategies, type AnswerBudgetsOptions } from './answerStudyBudgets';
export type { AnswerRange } from './answerRange';
export { studyConfig } from './studyConfig';
export { configureSearch, setupSearch, type SearchSetup, type SetupOptions } from './setupSearch';
export type { FinalNetwork } from './finalNetwork';
export type { FinalTrainingState, FinalTrainedNetwork, FinalComparison } from './finalTraining';
export {
  ConfigError,
  loadSearchConfigFile,
  searchConfigFileSchema,
  type SearchConfig,
  type SearchConfigInput,
  type FinalTrainingConfig,
} from './config';
export {
  createStudy,
  loadStudy,
  Study,
  type CreateStudyOptions,
  type LoadStudyOptions,
  type OptimizeOptions,
  type TrialHandle,
  type ParetoFrontOptions,
} from './study';
export {
  functionEvaluator,
  registerEvaluator,
  evaluatorKinds,
  type Evaluator,
  type EvaluatorFactory,
  type EvaluatorFactoryFunction,
  type EvaluatorSettings,
  type FunctionEvaluatorOptions,
  type ObjectiveFunction,
  type ObjectiveResult,
  type TrialContext,
} from '../evaluate/index';
export { FieldError } from '../io/fieldError';
export { EvaluationError } from '../evaluate/evaluator';
export type { TrialRecord, StudyRecord, TrialState, Objective, Direction } from '../study/types';
export { StudyStore, StudyExistsError, NoSuchStudyError } from '../study/store';
