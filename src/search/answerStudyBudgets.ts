// New budgets answered from a finished study, without searching again (FBNetV3's point: a
// predictor trained once answers any budget in CPU seconds): the study's plug-in answers through
// its `answerBudgets` hook, holding the study's lease so that no search or other answer runs
// beside it (an answer may evaluate candidates as trials of the study, `evaluate`). `tsnas study
// answer` and `Study.answer` are its clients.
import { parseConstraint, type Constraint } from '../cost/constraints';
import type { Evaluator } from '../evaluate/evaluator';
import { FieldError } from '../io/fieldError';
import type { StudyStore } from '../study/store';
import type { StudyRecord } from '../study/types';
import { newWorkerId } from '../study/worker';
import { getStrategy, strategyNames, strategyPlugins } from './registry';
import { pluginStudy, setupSearch } from './setupSearch';
import type { BudgetAnswer } from './strategyPlugin';
import { studyConfig } from './studyConfig';

export interface AnswerBudgetsOptions {
  /** The store the study is in (open; the caller closes it). */
  store: StudyStore;
  /** The study, by name or as stored. */
  study: string | StudyRecord;
  /** The budgets: resource constraints ('flops<=5M', 'latency<=2ms') or their parsed form. */
  budgets: ReadonlyArray<string | Constraint>;
  /** Also evaluate each answer with the study's evaluator (training: the recipe's full epochs, resumable). */
  train?: boolean;
  /**
   * With the user's consent: K candidates evaluated within each budget (trials of the study,
   * resumable: asked again with the same K, nothing more is evaluated) and the method's model refit
   * on them before it answers, for answers that would extrapolate.
   */
  evaluate?: number;
  /** The evaluator, when not the study's own (a function-evaluated study's function, say). */
  evaluator?: Evaluator;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The strategies whose studies answer new budgets without searching again. */
export function budgetAnsweringStrategies(): string[] {
  return strategyPlugins()
    .filter((p) => p.answerBudgets)
    .map((p) => p.name);
}

/**
 * Answers each budget from the study's plug-in (its predictor), one answer per budget in order.
 * A study whose strategy cannot is a FieldError on `strategy` that names the strategies that can.
 */
export async function answerStudyBudgets(o: AnswerBudgetsOptions): Promise<BudgetAnswer[]> {
  const { store } = o;
  const s = typeof o.study === 'string' ? store.requireStudy(o.study) : o.study;
  const budgets = o.budgets.map((b, i) => {
    if (typeof b !== 'string') return b;
    try {
      return parseConstraint(b);
    } catch (err) {
      throw new FieldError(`budgets.${i}`, b, (err as Error).message);
    }
  });
  const plugin = strategyNames().includes(s.strategy) ? getStrategy(s.strategy) : null;
  if (!plugin?.answerBudgets)
    throw new FieldError(
      'strategy',
      s.strategy,
      `study '${s.name}' searched with ${s.strategy}, which answers a budget only by searching again: run a new study with the budget in \`constraints\` ` +
        `(strategies that answer budgets from a finished study: ${budgetAnsweringStrategies().join(', ') || 'none'})`,
    );
  const setup = setupSearch(studyConfig(s), o.evaluator ? { evaluator: o.evaluator } : {});
  const me = newWorkerId();
  store.acquireLease(s.id, me); // not while the search itself runs
  try {
    return await plugin.answerBudgets({
      ...pluginStudy(setup),
      store,
      study: s,
      space: setup.space,
      evaluator: setup.evaluator,
      costs: setup.costs,
      constraints: setup.constraints,
      budgets,
      train: !!o.train,
      ...(o.evaluate !== undefined ? { evaluate: o.evaluate } : {}),
      log: o.log ?? (() => {}),
    });
  } finally {
    store.releaseLease(s.id, me);
  }
}
