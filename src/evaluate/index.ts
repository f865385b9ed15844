// Evaluators by their spec (a study's `evaluator`): 'train' (with `data`), 'synthetic[:SEED]',
// 'table:FILE', a user's function (functionEvaluator), or a kind registered with registerEvaluator.
import { evaluatorForms } from './registry';

export * from './evaluator';
export { createSyntheticEvaluator, syntheticFunction } from './synthetic';
export { createTabularEvaluator, loadTable } from './tabular';
export { createTrainingEvaluator } from './training';
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
