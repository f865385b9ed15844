// tsnas: hardware-aware neural architecture search on libtorch.
export * from './engine';
export * as nn from './nn';
export * as optim from './optim';
// Studies from code (the rest of searching: 'tsnas/search').
export {
  createStudy,
  loadStudy,
  Study,
  runStudy,
  registerStrategy,
  strategyNames,
  functionEvaluator,
  registerEvaluator,
  evaluatorKinds,
  FieldError,
  EvaluationError,
  type CreateStudyOptions,
  type LoadStudyOptions,
  type OptimizeOptions,
  type TrialHandle,
  type ParetoFrontOptions,
  type RunStudyOptions,
  type StudyRunResult,
  type Evaluator,
  type EvaluatorFactory,
  type EvaluatorFactoryFunction,
  type EvaluatorSettings,
  type FunctionEvaluatorOptions,
  type ObjectiveFunction,
  type ObjectiveResult,
  type TrialContext,
  type TrialRecord,
  type StudyRecord,
} from './search/index';
// The live dashboard over a store (docs/dashboard.md).
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard';
