// Evaluators by their spec (a study's `evaluator`): 'train' (with `data`), 'synthetic[:SEED]',
// 'table:FILE', a user's function (functionEvaluator), or a kind registered with registerEvaluator.
import { evaluatorForms } from './registry';

export * from './evaluator';
export {
  createSyntheticEvaluator,
  syntheticFunction,
  type SyntheticFunction,
  type SyntheticEvaluatorOptions,
} from './synthetic';
export { createTabularEvaluator, loadTable, type Table, type TabularEvaluatorOptions } from './tabular';
export { createTrainingEvaluator, type TrainingEvaluatorOptions } from './training';
export {
  registerEvaluator,
  evaluatorKinds,
  evaluatorForms,
  parseEvaluatorSpec,
  formatEvaluatorSpec,
  createEvaluator,
  type EvaluatorSettings,
  type EvaluatorSpec,
  type EvaluatorFactory,
  type EvaluatorFactoryFunction,
} from './registry';
export {
  functionEvaluator,
  FUNCTION_KIND,
  type ObjectiveFunction,
  type ObjectiveResult,
  type FunctionEvaluatorOptions,
  type TrialContext,
} from './functionEvaluator';

/** How the built-in evaluator specs are written (the kinds registered since: evaluatorForms()). */
export const EVALUATOR_FORMS = evaluatorForms();
