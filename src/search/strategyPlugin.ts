// What a search method registers (registry.ts) to become `tsnas search <name>`: its options as a
// zod object (defaults and `.describe()` texts: the CLI's flags and help come from them), how to
// make the ask/tell strategy, and optional hooks for what differs between methods. Nothing
// outside the method's own folder names it: the CLI, the study code and the report call hooks.
//
// Order of the hooks for a new study: options parsed -> configure (defaults that depend on the
// rest of the configuration) -> check (before the store is touched) -> the search loop (the
// strategy's prepare/ask/tell) -> finalize (after the loop, again on resume) -> reportSections
// (whenever a report is written). A method that can answer new resource budgets from a finished
// study without searching again (a predictor-based one) implements `answerBudgets`: `tsnas study
// answer <study> --budget ...` calls it.
//
// Every hook and the strategy itself get the study as the plug-in sees it (`PluginStudy`): the
// complete configuration and the plug-in's options, both typed, and the latency table read once
// when the search was set up (setupSearch.ts), so no method casts a stored record or reads a file again.
import type { z } from 'zod';
import type { Constraint } from '../cost/constraints';
import type { ArchCosts, CostModel } from '../cost/costModel';
import type { Evaluator } from '../evaluate/evaluator';
import type { LatencyTable } from '../latency/latencyTable';
import type { ReportSection, ReportTrial } from '../report/types';
import type { Space } from '../space/types';
import { stateKey, type StateKey } from '../study/stateKey';
import type { StudyStore } from '../study/store';
import type { Strategy } from '../study/strategy';
import type { StudyRecord } from '../study/types';
import type { SearchConfig, SearchConfigInput } from './config';
import type { FinalNetwork } from './finalNetwork';
import type { AnswerRange } from './answerRange';

/** Report views a strategy stores while it searches (ctx.state.set(REPORT_SECTIONS, sections)); every report shows them. */
export const REPORT_SECTIONS = stateKey<ReportSection[]>('report.sections');

/** How one option appears on the command line; every field optional. */
export interface FlagSpec {
  /** The flag's name without dashes (default: the option's key in kebab case, thetaLr -> theta-lr). */
  name?: string;
  /** The value's placeholder in the help (default 'n' for integers, 'x' for numbers, the choices for enums). */
  value?: string;
  /** Parses the text (default: from the option's schema, with errors that name the flag). */
  parse?: (text: string) => unknown;
  /**
   * The option takes the common flag of this name (e.g. 'epochs': with this strategy the CLI's epochs
   * flag is the option, and the candidates' epochs come from `train.epochs`).
   */
  takesCommonFlag?: boolean;
  /**
   * Former names of the flag (without dashes) that keep working, unlisted in the help: a flag renamed
   * to one shared name (`weight-lr` -> `supernet-lr`) still reads scripts written for the old one.
   */
  aliases?: readonly string[];
}

/** The study as a plug-in sees it: typed, with what the set-up read once. */
export interface PluginStudy<O = unknown> {
  /** The study's complete configuration (its trial target as it is now, after a resume that raised it). */
  config: SearchConfig;
  /** The plug-in's options, parsed by its schema (defaults filled, former keys renamed). */
  options: O;
  /** The study's latency table (`lut`), read and checked once by the set-up; null without one. */
  latencyTable: LatencyTable | null;
}

export interface SetupForCheck<O = unknown> extends PluginStudy<O> {
  space: Space;
  evaluator: Evaluator;
  /** The study's cost model and constraints (parsed; satisfiability is checked after the hook). */
  costs: CostModel;
  constraints: readonly Constraint[];
}

export interface FinalizeContext<O = unknown> extends PluginStudy<O> {
  store: StudyStore;
  study: StudyRecord;
  space: Space;
  evaluator: Evaluator;
  /** The study's cost model and constraints, as the search had them. */
  costs: CostModel;
  constraints: readonly Constraint[];
  log: (line: string) => void;
}

export interface AnswerContext<O = unknown> extends FinalizeContext<O> {
  /** The budgets to answer, each one resource constraint ('flops<=5M'). */
  budgets: readonly Constraint[];
  /** Evaluate each answer with the study's evaluator (training: the recipe's full epochs). */
  train: boolean;
  /**
   * With the user's consent, K candidates evaluated within each budget (trials of the study,
   * resumable) and the method's model refit on them before it answers: a whole number, at least 1.
   * K counts over reruns: asked again with the same K, nothing more is evaluated.
   */
  evaluate?: number;
}

/** One budget's answer (`tsnas study answer`). */
export interface BudgetAnswer {
  /** The budget as written, e.g. 'flops<=5M'. */
  budget: string;
  /** The chosen architecture (the study space's string; recipe fields included where searched). */
  arch: string;
  /** The method's score of it (e.g. a predicted accuracy), or null. */
  predicted: number | null;
  costs: ArchCosts;
  /** CPU seconds the answer took (not counting its evaluation). */
  cpuSeconds: number;
  /** Metrics of its evaluation with the study's evaluator, when asked and done. */
  metrics: Record<string, number> | null;
  /** One line for people: how it was found. */
  detail: string;
  /** True when it was answered (or evaluated) earlier and read back from the study. */
  cached: boolean;
  /** How far it extrapolates what the method's model learnt from (answerRange.ts), or null where the method does not say. */
  range: AnswerRange | null;
  /** Evaluations made within this budget for it (`evaluate`), 0 when none. */
  evaluations: number;
}

export interface ReportContext {
  study: StudyRecord;
  /** The study's configuration, typed (studyConfig.ts). */
  config: SearchConfig;
  trials: readonly ReportTrial[];
  /** A comparison study's trials (a report's `baseline`). */
  baseline?: readonly ReportTrial[];
  state<T>(key: StateKey<T>): T | undefined;
}

export interface StrategyPlugin<O = Record<string, unknown>> {
  name: string;
  description: string;
  /** A zod object: its keys are the options, with defaults and descriptions. */
  options: z.ZodType<O>;
  /** Flag names, placeholders and parsers that differ from what the schema gives. */
  flags?: { readonly [K in keyof O]?: FlagSpec };
  /**
   * Option keys of former versions -> their key now (e.g. { weightLr: 'lr' }): a config file or a
   * stored study that wrote the old key is read with the new one (the option parser renames them).
   */
  renamedOptions?: Readonly<Record<string, keyof O & string>>;
  /** The ask/tell strategy of a study being set up. */
  create(options: O, study: PluginStudy<O>): Strategy;
  /**
   * Defaults that depend on the rest of the configuration, applied to a new study's complete
   * configuration; `given` is what the user set (file and flags), to tell a default from a choice.
   */
  configure?(config: SearchConfig, given: SearchConfigInput): SearchConfig;
  /** Checks before any work (and on resume); throws with what to change. */
  check?(setup: SetupForCheck<O>): void;
  /** After the search loop: e.g. the chosen network timed end to end; stored and returned in the result as `final`. */
  finalize?(ctx: FinalizeContext<O>): Promise<FinalNetwork | null>;
  /** Report views built when the report is written (from the trials, the baseline and the study's state). */
  reportSections?(ctx: ReportContext): ReportSection[];
  /**
   * Answers resource budgets from a finished study without a new search (`tsnas study answer`):
   * one answer per budget, in order; answers (and evaluations) already in the study are reused.
   * Throws with what to do when the study cannot answer yet (not finished, a budget below the
   * cheapest architecture).
   */
  answerBudgets?(ctx: AnswerContext<O>): Promise<BudgetAnswer[]>;
  /** Said when the strategy has nothing more to propose (default: "the NAME strategy has nothing more to propose"). */
  doneMessage?: string;
}
