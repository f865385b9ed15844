// From a study's configuration to the objects a search runs with: the strategy, the space, the
// evaluator, the cost model and the constraints, checked before the first trial: an unknown
// strategy, space or evaluator, an objective the evaluator does not report, a latency table for
// another space, or a constraint no architecture can meet are errors up front. The latency table
// is read here once and handed to the strategy and the hooks (PluginStudy), not read again by them.
import { createEvaluator, parseEvaluatorSpec } from '../evaluate/registry';
import { FieldError } from '../io/fieldError';
import type { Evaluator } from '../evaluate/evaluator';
import { checkTableFor, predictLatency, readLatencyTable, type LatencyTable } from '../latency/latencyTable';
import { checkSatisfiable, parseConstraint, type Constraint } from '../cost/constraints';
import { makeCostModel, type CostModel } from '../cost/costModel';
import { getStrategy, parseStrategyOptions } from './registry';
import type { PluginStudy } from './strategyPlugin';
import { loadSpace } from '../space/registry';
import type { Space } from '../space/types';
import { checkFinalTraining } from './finalTraining';
import { checkSpaceObject, completeConfig, type SearchConfig, type SearchConfigInput } from './config';
import type { Strategy } from '../study/strategy';
import { MissingLatencyTableError } from '../cost/missingLatencyTable';

export interface SearchSetup {
  config: SearchConfig;
  strategy: Strategy;
  space: Space;
  evaluator: Evaluator;
  costs: CostModel;
  constraints: Constraint[];
  /** The strategy's options, parsed by its plug-in's schema. */
  options: unknown;
  /** The study's latency table (`lut`), read and checked once; null without one. */
  latencyTable: LatencyTable | null;
}

/** What the plug-in's strategy and hooks get of a set-up: the typed configuration, options and table. */
export function pluginStudy(s: Pick<SearchSetup, 'config' | 'options' | 'latencyTable'>): PluginStudy {
  return { config: s.config, options: s.options, latencyTable: s.latencyTable };
}

/** What the search loops (runSearch, runWorker, a strategy's study context) take of a set-up. */
export function loopParts(
  s: SearchSetup,
): Pick<SearchSetup, 'strategy' | 'evaluator' | 'space' | 'constraints' | 'costs'> {
  return { strategy: s.strategy, evaluator: s.evaluator, space: s.space, constraints: s.constraints, costs: s.costs };
}

/** Resolves the strategy's options (defaults filled) into the config: what the study stores. */
export function withStrategyDefaults(config: SearchConfig): SearchConfig {
  const factory = getStrategy(config.strategy);
  return { ...config, options: parseStrategyOptions(factory, config.options) as Record<string, unknown> };
}

/**
 * A new study's complete configuration from what the user gave (a config file and flags, merged):
 * defaults filled, the strategy's options parsed, then the strategy's own defaults that depend on
 * the rest (its configure hook).
 */
export function configureSearch(given: SearchConfigInput): SearchConfig {
  const config = withStrategyDefaults(completeConfig(given));
  const plugin = getStrategy(config.strategy);
  return plugin.configure ? plugin.configure(config, given) : config;
}

/** The space a study searches: the one it was given as an object, else its built-in name or file. */
export function loadConfigSpace(config: Pick<SearchConfig, 'space' | 'spaceData'>): Space {
  return config.spaceData ? checkSpaceObject(config.spaceData).space : loadSpace(config.space);
}

export interface SetupOptions {
  /**
   * The evaluator itself, in place of making it from the spec (a user's function, which no store
   * can hold): its spec must be the study's `evaluator`.
   */
  evaluator?: Evaluator;
}

export function setupSearch(config: SearchConfig, o: SetupOptions = {}): SearchSetup {
  const factory = getStrategy(config.strategy);
  const options = parseStrategyOptions(factory, config.options);
  const constraints = config.constraints.map(parseConstraint);
  const space = loadConfigSpace(config);
  if (o.evaluator && o.evaluator.spec !== config.evaluator)
    throw new FieldError(
      'evaluator',
      o.evaluator.spec,
      `the evaluator given (${o.evaluator.spec}) is not the study's (${config.evaluator}): a study keeps the evaluator it was created with`,
    );
  const evaluator =
    o.evaluator ??
    createEvaluator(parseEvaluatorSpec(config.evaluator), {
      space,
      spaceRef: config.space,
      data: config.data ?? undefined,
      metrics: config.metrics,
      delayMs: config.evalDelayMs,
      train: {
        epochs: config.train.epochs ?? undefined,
        limitTrain: config.train.limitTrain ?? undefined,
        recipeFile: config.train.recipeFile ?? undefined,
        recipe: config.train.recipe,
        threads: config.train.threads,
        reportTest: config.train.reportTest,
        // Studies made before training seeds came from the study's seed train with their recipe's.
        ...(config.trainingSeeds === 'study' ? { studySeed: config.seed } : {}),
      },
    });
  if (!evaluator.metrics.includes(config.objective.metric)) {
    throw new Error(
      `the objective '${config.objective.metric}' is not a metric of the evaluator (${evaluator.description}; metrics: ${evaluator.metrics.join(', ')})` +
        (evaluator.kind === 'table'
          ? `; map a table field to it with \`metrics\` ${config.objective.metric}=FIELD`
          : ''),
    );
  }
  let latency: ((a: Parameters<typeof predictLatency>[2]) => number) | undefined;
  let latencyTable: LatencyTable | null = null;
  if (config.lut) {
    const table = (latencyTable = readLatencyTable(config.lut));
    // The input and classes the search's costs use: the data's for the training evaluator, the
    // space's for the others (as `tsnas cost` without an input).
    const input = evaluator.decode.input ?? (table.input ? [...space.input] : null);
    checkTableFor(table, space, {
      file: config.lut,
      input: input as [number, number, number] | null,
      classes: evaluator.decode.classes ?? space.source.classes,
      inputFrom: evaluator.decode.input
        ? `the search's costs use the input of \`data\` ${config.data}`
        : `the search's costs use the space's input: the ${evaluator.kind} evaluator does not change it`,
    });
    latency = (arch) => predictLatency(table, space, arch);
  } else if (constraints.some((c) => c.kind === 'latency') && !evaluator.costOverride?.provides.includes('latency')) {
    throw new MissingLatencyTableError(`constraint ${constraints.find((c) => c.kind === 'latency')!.text}`, {
      space: config.space,
    });
  }
  const costs = makeCostModel(space, { decode: evaluator.decode, latency, override: evaluator.costOverride });
  const study = { config, options, latencyTable };
  factory.check?.({ ...study, space, evaluator, costs, constraints });
  checkFinalTraining(config, space);
  checkSatisfiable(constraints, costs, config.seed);
  return { ...study, strategy: factory.create(options, study), space, evaluator, costs, constraints };
}
