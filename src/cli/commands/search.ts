// tsnas search <strategy> ...: run a study (create it, or --resume it), a progress line per trial
// on stderr, and with --json the result as the last line of stdout.
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { EVALUATOR_FORMS } from '../../evaluate/index';
import { CONSTRAINT_FORMS, formatCost } from '../../cost/constraints';
import { checkDnasConfig, finalizeDnas } from '../../search/fbnet/dnasStrategy';
import type { DnasFinal } from '../../search/fbnet/report';
import { strategyNames } from '../../search/registry';
import { BUILTIN_SPACES } from '../../space/registry';
import {
  applyResumeOverrides, completeConfig, loadSearchConfigFile, mergeConfig, resolvePaths, type SearchConfig, type SearchConfigInput,
} from '../../search/config';
import { runSearch, type SearchSummary } from '../../study/runSearch';
import { setupSearch, withStrategyDefaults, type SearchSetup } from '../../search/setupSearch';
import { DEFAULT_STORE, StudyExistsError, StudyStore } from '../../study/store';
import type { TrialRecord } from '../../study/types';
import { nonNegativeInt, oneOf, positiveInt, positiveNumber } from '../options';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parseObjective(v: string): { metric: string; direction?: 'maximize' | 'minimize' } {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?::(max|min|maximize|minimize))?$/.exec(v);
  if (!m) throw new Error(`--objective must be METRIC or METRIC:max|min (e.g. accuracy, valLoss:min), got '${v}'`);
  return { metric: m[1]!, direction: m[2] === undefined ? undefined : m[2].startsWith('max') ? 'maximize' : 'minimize' };
}

function parseMetricMap(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(item);
    if (!m) throw new Error(`--metric must be NAME=FIELD (the study's metric name = the table's field, e.g. accuracy=val_acc), got '${item}'`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** '1500', '1500us', '1.5ms', '0.0015s' -> microseconds. */
function parseMicroseconds(v: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(us|µs|ms|s)?\s*$/.exec(v);
  const us = m ? Number(m[1]) * ({ us: 1, µs: 1, ms: 1e3, s: 1e6 } as Record<string, number>)[m[2] ?? 'us']! : NaN;
  if (!(us > 0)) throw new InvalidArgumentError(`--target-latency must be a positive time in microseconds, or with a unit (1500, 1500us, 1.5ms), got '${v}'`);
  return us;
}

/** A number >= 0 (--tau-decay: 0 keeps the temperature constant). */
function nonNegativeNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0, got '${v}'`);
    return n;
  };
}

interface SearchFlags {
  config?: string; space?: string; data?: string; evaluator?: string; trials?: number; maxFailed?: number; constraint?: string[]; lut?: string;
  study?: string; store?: string; seed?: number; epochs?: number; trainEpochs?: number; limitTrain?: number; recipe?: string; threads?: number; reportTest?: boolean;
  objective?: string; metric?: string[]; population?: number; sampleSize?: number; resume?: string; json?: boolean; evalDelayMs?: number;
  warmup?: number; cost?: 'latency' | 'flops'; targetLatency?: number; alpha?: number; beta?: number; samples?: number; hard?: boolean; searchLimitTrain?: number;
  thetaLr?: number; tau0?: number; tauDecay?: number;
}

/** Flags that only the dnas strategy reads (as strategy options), with their option names. */
const DNAS_FLAGS: Array<[flag: string, key: keyof SearchFlags, option: string]> = [
  ['--warmup', 'warmup', 'warmup'], ['--cost', 'cost', 'cost'], ['--target-latency', 'targetLatency', 'targetLatency'], ['--alpha', 'alpha', 'alpha'],
  ['--beta', 'beta', 'beta'], ['--samples', 'samples', 'samples'], ['--hard', 'hard', 'hard'], ['--search-limit-train', 'searchLimitTrain', 'limitTrain'],
  ['--theta-lr', 'thetaLr', 'thetaLr'], ['--tau0', 'tau0', 'tau0'], ['--tau-decay', 'tauDecay', 'tauDecay'],
];

/**
 * The flags as a config (paths relative to the working directory). `strategy` is the search's
 * strategy however it was given (argument, config file, stored study): with dnas, --epochs and
 * --warmup are the supernet's SEARCH epochs (options.epochs, options.warmup) and the candidates'
 * epochs come from --train-epochs or the recipe; with any other strategy --epochs and
 * --train-epochs both set the candidates' epochs.
 */
function flagsConfig(strategyArg: string | undefined, o: SearchFlags, strategy: string | undefined): SearchConfigInput {
  const objective = o.objective ? parseObjective(o.objective) : undefined;
  const dnas = strategy === 'dnas';
  const options: Record<string, unknown> = { population: o.population, sampleSize: o.sampleSize };
  for (const [flag, key, option] of DNAS_FLAGS) {
    if (o[key] === undefined) continue;
    if (!dnas) throw new InvalidArgumentError(`${flag} only applies to the dnas strategy (tsnas search dnas ...), not to ${strategy ?? 'a search without a strategy'}`);
    options[option] = o[key];
  }
  let trainEpochs = o.trainEpochs;
  if (dnas) options.epochs = o.epochs;
  else if (o.epochs !== undefined) {
    if (o.trainEpochs !== undefined && o.trainEpochs !== o.epochs) throw new InvalidArgumentError(`--epochs ${o.epochs} and --train-epochs ${o.trainEpochs} both set the candidates' epochs of a ${strategy} search: give one`);
    trainEpochs = o.epochs;
  }
  const definedOptions = Object.values(options).some((v) => v !== undefined);
  return resolvePaths({
    strategy: strategyArg, space: o.space, evaluator: o.evaluator, data: o.data, trials: o.trials, maxFailed: o.maxFailed, seed: o.seed,
    constraints: o.constraint, lut: o.lut, study: o.study, store: o.store,
    objective: objective ? ({ metric: objective.metric, ...(objective.direction ? { direction: objective.direction } : {}) } as SearchConfigInput['objective']) : undefined,
    metrics: parseMetricMap(o.metric),
    train: trainEpochs !== undefined || o.limitTrain !== undefined || o.recipe !== undefined || o.threads !== undefined || o.reportTest !== undefined
      ? { epochs: trainEpochs, limitTrain: o.limitTrain, recipe: o.recipe, threads: o.threads, reportTest: o.reportTest } : undefined,
    options: definedOptions ? options : undefined,
    evalDelayMs: o.evalDelayMs,
  }, process.cwd());
}

function defaultStudyName(c: SearchConfig): string {
  const space = path.basename(c.space).replace(/\.(ya?ml|json)$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${c.strategy}-${space}-${t}`;
}

export function bestJson(t: TrialRecord | null, final?: DnasFinal | null): { number: number; arch: string; metrics: Record<string, number | null> } | null {
  if (!t) return null;
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(t.metrics)) metrics[k] = Number.isFinite(v) ? v : null;
  if (t.costs.flops !== null) metrics.flops = t.costs.flops;
  if (t.costs.params !== null) metrics.params = t.costs.params;
  if (t.costs.latencyUs !== null) metrics.latencyUs = t.costs.latencyUs;
  if (final && final.trial === t.number && final.measuredLatencyUs !== null) metrics.measuredLatencyUs = final.measuredLatencyUs;
  return { number: t.number, arch: t.arch, metrics };
}

export function registerSearch(program: Command): void {
  program
    .command('search')
    .description('search a space for the best architecture within resource constraints; a study in the store records every trial and resumes after a crash')
    .argument('[strategy]', `the search strategy: ${strategyNames().join(', ')}`)
    .option('--config <file>', 'search configuration (YAML or JSON; see docs/studies.md); flags override it')
    .option('--space <space>', `a built-in space (${BUILTIN_SPACES.join(', ')}) or a space file`)
    .option('--data <set>', 'train each candidate on this data set: fashion-mnist[:DIR], mnist[:DIR], cifar10:DIR, synthetic[:SEED]')
    .option('--evaluator <spec>', `how candidates are scored without --data: ${EVALUATOR_FORMS.join(', ')}`)
    .option('--trials <n>', 'complete trials to end with (default 20; dnas: its samples + 1)', positiveInt('--trials'))
    .option('--max-failed <n>', 'stop after this many failed trials (default max(10, trials))', positiveInt('--max-failed'))
    .option('--constraint <c>', `a resource constraint, repeatable: ${CONSTRAINT_FORMS.join(', ')}; X takes K/M/G (e.g. flops<=5M)`, collect)
    .option('--lut <file>', 'latency lookup table (npx tsnas lut build) for latency constraints and latency columns')
    .option('--objective <metric>', "the metric to optimise, METRIC[:max|min] (default accuracy:max; 'accuracy' is validation accuracy)")
    .option('--metric <name=field>', 'tabular evaluator: read the study metric NAME from table field FIELD, repeatable (e.g. accuracy=val_acc)', collect)
    .option('--study <name>', 'study name (default <strategy>-<space>-<time>)')
    .option('--store <file>', `study store (SQLite; default ${DEFAULT_STORE}); study directories go beside it`)
    .option('--seed <n>', 'seed of the search (default 0)', nonNegativeInt('--seed'))
    .option('--epochs <n>', 'training evaluator: epochs per candidate (overrides the recipe); with dnas: the supernet\'s SEARCH epochs (default 10), the candidates\' epochs then come from --train-epochs or the recipe', positiveInt('--epochs'))
    .option('--train-epochs <n>', 'training evaluator: epochs per candidate (overrides the recipe); the same as --epochs for other strategies, the way to set them with dnas', positiveInt('--train-epochs'))
    .option('--limit-train <n>', 'training evaluator: train on a stratified subset of this many images (dnas: also the supernet\'s, unless --search-limit-train)', positiveInt('--limit-train'))
    .option('--recipe <file>', 'training evaluator: recipe file (YAML or JSON)')
    .option('--threads <n>', 'training evaluator: intra-op threads (default 2)', positiveInt('--threads'))
    .option('--report-test', 'training evaluator: also measure test accuracy (testAcc; reported, never selected on)')
    .option('--population <n>', 'evolution: population size P (default 20)', positiveInt('--population'))
    .option('--sample-size <n>', 'evolution: sample size S (default 5)', positiveInt('--sample-size'))
    .option('--cost <kind>', 'dnas: the loss\'s cost term: latency (the --lut table, microseconds; the default) or flops (MACs, no table needed)', oneOf('--cost', ['latency', 'flops'] as const))
    .option('--target-latency <us>', 'dnas: hard budget on the proposals\' table latency, microseconds or with a unit (1500, 1.5ms): the argmax if within it, else the most probable architecture within it, and samples drawn conditioned on it', parseMicroseconds)
    .option('--alpha <a>', 'dnas: alpha of the loss CE * alpha * (ln LAT)^beta (default 0.2)', positiveNumber('--alpha'))
    .option('--beta <b>', 'dnas: beta of the loss (default 0.6; larger = more latency pressure)', positiveNumber('--beta'))
    .option('--warmup <n>', 'dnas: search epochs that train only the weights (default round(epochs / 9))', nonNegativeInt('--warmup'))
    .option('--samples <k>', 'dnas: architectures sampled from the learned distribution and trained, besides the argmax (default 6)', nonNegativeInt('--samples'))
    .option('--hard', 'dnas: straight-through supernet (one candidate per layer runs; faster, see docs/fbnet.md) instead of the soft sum')
    .option('--theta-lr <lr>', 'dnas: Adam learning rate of the architecture logits theta (default 0.01; the paper\'s, for ~12k steps: raise it for short searches)', positiveNumber('--theta-lr'))
    .option('--tau0 <t>', 'dnas: Gumbel-softmax temperature of the first search epoch (default 5.0)', positiveNumber('--tau0'))
    .option('--tau-decay <d>', 'dnas: per-epoch decay of the Gumbel-softmax temperature, tau = tau0 * exp(-d * epoch) (default 0.045, the paper\'s over 90 epochs; for an N-epoch search 4/N ends at the paper\'s final temperature)', nonNegativeNumber('--tau-decay'))
    .option('--search-limit-train <n>', 'dnas: training images of the supernet search (default: --limit-train, else all)', positiveInt('--search-limit-train'))
    .option('--resume <study>', 'continue a study of the store after a crash or with more --trials')
    .option('--json', 'print the result as JSON on the last line: {"study", "best": {"arch", "metrics"}, "trials"}')
    .addOption(new Option('--eval-delay-ms <n>', 'tests: sleep this long per synthetic trial').argParser(nonNegativeInt('--eval-delay-ms')).hideHelp())
    .action(async (strategyArg: string | undefined, o: SearchFlags) => {
      const log = (s: string) => process.stderr.write(`${s}\n`);
      let fileCfg: SearchConfigInput = {};
      if (o.config) {
        if (o.resume) throw new Error(`--config cannot be used with --resume: study '${o.resume}' keeps the configuration it was created with`);
        fileCfg = loadSearchConfigFile(o.config);
      }
      const storeFile = (o.store !== undefined ? path.resolve(process.cwd(), o.store) : undefined) ?? fileCfg.store ?? DEFAULT_STORE;
      let config: SearchConfig;
      let setup: SearchSetup | undefined;
      let store: StudyStore;
      let studyName: string;
      if (o.resume) {
        studyName = o.resume;
        store = StudyStore.open(storeFile);
        try {
          const study = store.requireStudy(studyName);
          if (strategyArg && strategyArg !== study.strategy) {
            throw new Error(`study '${studyName}' searches with ${study.strategy}, not ${strategyArg}; resume it with: npx tsnas search --resume ${studyName}`);
          }
          const flags = flagsConfig(strategyArg, o, study.strategy);
          const stored = study.config as unknown as SearchConfig;
          config = applyResumeOverrides(stored, { ...flags, strategy: undefined }, studyName);
          if (config.trials !== stored.trials || config.maxFailed !== stored.maxFailed) store.updateStudyConfig(study.id, config as unknown as Record<string, unknown>);
        } catch (err) {
          store.close();
          throw err;
        }
      } else {
        const strategy = strategyArg ?? fileCfg.strategy;
        const merged = mergeConfig(fileCfg, flagsConfig(strategyArg, o, strategy));
        // DNAS ends with trained networks: measure their test accuracy unless told otherwise (never selected on).
        if (strategy === 'dnas' && merged.data && merged.train?.reportTest === undefined) merged.train = { ...merged.train, reportTest: true };
        config = withStrategyDefaults(completeConfig(merged));
        // DNAS trains its K samples + the argmax: that is its number of trials unless told otherwise.
        if (config.strategy === 'dnas' && merged.trials === undefined) config = { ...config, trials: Number(config.options.samples) + 1 };
        setup = setupSearch(config); // every check before the store is touched
        if (config.strategy === 'dnas') checkDnasConfig(config, setup.space);
        store = StudyStore.open(storeFile);
        studyName = merged.study ?? defaultStudyName(config);
        const existing = store.getStudy(studyName);
        if (existing) {
          store.close();
          throw new StudyExistsError(`study '${studyName}' already exists in ${storeFile} (${existing.strategy} on ${existing.space}); ` +
            `continue it with: npx tsnas search --resume ${studyName}${storeFile === DEFAULT_STORE ? '' : ` --store ${storeFile}`}   or choose another --study name`);
        }
      }
      let summary: SearchSummary;
      let final: DnasFinal | null = null;
      try {
        setup ??= setupSearch(config);
        const study = o.resume ? store.requireStudy(studyName) : store.createStudy({
          name: studyName, strategy: config.strategy, space: config.space, evaluator: config.evaluator, data: config.data,
          objective: config.objective, constraints: setup.constraints.map((c) => c.text), seed: config.seed, config: config as unknown as Record<string, unknown>,
        });
        log(`study '${study.name}' (${storeFile}): ${config.strategy} on ${setup.space.name}, ${setup.evaluator.description}, ` +
          `${config.trials} trials, ${config.objective.direction} ${config.objective.metric}` +
          `${setup.constraints.length ? `, ${setup.constraints.map((c) => c.text).join(' ')}` : ''}; seed ${config.seed}`);
        summary = await runSearch({
          store, study, strategy: setup.strategy, evaluator: setup.evaluator, space: setup.space, constraints: setup.constraints, costs: setup.costs,
          trials: config.trials, maxFailed: config.maxFailed ?? undefined, log,
        });
        if (config.strategy === 'dnas' && summary.best) {
          try {
            final = await finalizeDnas({ store, study, space: setup.space, evaluator: setup.evaluator, log });
          } catch (err) {
            log(`dnas: could not measure the final network's latency: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      } finally {
        store.close();
      }
      const metric = config.objective.metric;
      const b = summary.best;
      if (summary.stopped === 'failures') {
        process.exitCode = 1;
        log(`stopped: ${summary.failed} trial(s) failed (the cap is ${config.maxFailed ?? Math.max(10, config.trials)}; raise it with --max-failed); last error: ${summary.lastError}`);
      } else if (summary.stopped === 'done') {
        log(config.strategy === 'dnas' ? 'dnas: every proposal has been evaluated' : `the ${config.strategy} strategy has nothing more to propose`);
      }
      log(`study '${summary.study}': ${summary.complete} complete, ${summary.failed} failed trial(s)` +
        (b ? `; best ${metric} ${b.metrics[metric]!.toFixed(4)} (trial ${b.number}, flops ${formatCost('flops', b.costs.flops)}, params ${formatCost('params', b.costs.params)}` +
          `${b.costs.latencyUs !== null ? `, latency ${formatCost('latency', b.costs.latencyUs)}` : ''}): ${b.arch}` : ''));
      if (config.strategy === 'dnas') log(`report: npx tsnas study report ${summary.study}${storeFile === DEFAULT_STORE ? '' : ` --store ${storeFile}`} [--baseline <random-study>]`);
      if (o.json) {
        console.log(JSON.stringify({
          study: summary.study, best: bestJson(b, final), trials: summary.complete, failed: summary.failed, store: storeFile,
          ...(config.strategy === 'dnas' ? { final } : {}),
        }));
      }
    });
}
