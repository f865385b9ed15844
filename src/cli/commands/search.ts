// tsnas search <strategy> ...: run a study (create it, or --resume it), a progress line per trial
// on stderr, and with --json the result as the last line of stdout.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { EVALUATOR_FORMS } from '../../evaluate/index';
import { CONSTRAINT_FORMS, formatCost } from '../../search/constraints';
import { strategyNames } from '../../search/registry';
import { BUILTIN_SPACES } from '../../space/registry';
import {
  applyResumeOverrides, completeConfig, loadSearchConfigFile, mergeConfig, resolvePaths, type SearchConfig, type SearchConfigInput,
} from '../../study/config';
import { runSearch, type SearchSummary } from '../../study/runSearch';
import { setupSearch, withStrategyDefaults, type SearchSetup } from '../../study/setupSearch';
import { DEFAULT_STORE, StudyExistsError, StudyStore } from '../../study/store';
import type { TrialRecord } from '../../study/types';
import { nonNegativeInt, positiveInt } from '../options';

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

interface SearchFlags {
  config?: string; space?: string; data?: string; evaluator?: string; trials?: number; maxFailed?: number; constraint?: string[]; lut?: string;
  study?: string; store?: string; seed?: number; epochs?: number; limitTrain?: number; recipe?: string; threads?: number; reportTest?: boolean;
  objective?: string; metric?: string[]; population?: number; sampleSize?: number; resume?: string; json?: boolean; evalDelayMs?: number;
}

/** The flags as a config (paths relative to the working directory). */
function flagsConfig(strategy: string | undefined, o: SearchFlags): SearchConfigInput {
  const objective = o.objective ? parseObjective(o.objective) : undefined;
  return resolvePaths({
    strategy, space: o.space, evaluator: o.evaluator, data: o.data, trials: o.trials, maxFailed: o.maxFailed, seed: o.seed,
    constraints: o.constraint, lut: o.lut, study: o.study, store: o.store,
    objective: objective ? ({ metric: objective.metric, ...(objective.direction ? { direction: objective.direction } : {}) } as SearchConfigInput['objective']) : undefined,
    metrics: parseMetricMap(o.metric),
    train: o.epochs !== undefined || o.limitTrain !== undefined || o.recipe !== undefined || o.threads !== undefined || o.reportTest !== undefined
      ? { epochs: o.epochs, limitTrain: o.limitTrain, recipe: o.recipe, threads: o.threads, reportTest: o.reportTest } : undefined,
    options: o.population !== undefined || o.sampleSize !== undefined ? { population: o.population, sampleSize: o.sampleSize } : undefined,
    evalDelayMs: o.evalDelayMs,
  }, process.cwd());
}

function defaultStudyName(c: SearchConfig): string {
  const space = path.basename(c.space).replace(/\.(ya?ml|json)$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${c.strategy}-${space}-${t}`;
}

export function bestJson(t: TrialRecord | null): { number: number; arch: string; metrics: Record<string, number | null> } | null {
  if (!t) return null;
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(t.metrics)) metrics[k] = Number.isFinite(v) ? v : null;
  if (t.costs.flops !== null) metrics.flops = t.costs.flops;
  if (t.costs.params !== null) metrics.params = t.costs.params;
  if (t.costs.latencyUs !== null) metrics.latencyUs = t.costs.latencyUs;
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
    .option('--trials <n>', 'complete trials to end with (default 20)', positiveInt('--trials'))
    .option('--max-failed <n>', 'stop after this many failed trials (default max(10, trials))', positiveInt('--max-failed'))
    .option('--constraint <c>', `a resource constraint, repeatable: ${CONSTRAINT_FORMS.join(', ')}; X takes K/M/G (e.g. flops<=5M)`, collect)
    .option('--lut <file>', 'latency lookup table (npx tsnas lut build) for latency constraints and latency columns')
    .option('--objective <metric>', "the metric to optimise, METRIC[:max|min] (default accuracy:max; 'accuracy' is validation accuracy)")
    .option('--metric <name=field>', 'tabular evaluator: read the study metric NAME from table field FIELD, repeatable (e.g. accuracy=val_acc)', collect)
    .option('--study <name>', 'study name (default <strategy>-<space>-<time>)')
    .option('--store <file>', `study store (SQLite; default ${DEFAULT_STORE}); study directories go beside it`)
    .option('--seed <n>', 'seed of the search (default 0)', nonNegativeInt('--seed'))
    .option('--epochs <n>', 'training evaluator: epochs per candidate (overrides the recipe)', positiveInt('--epochs'))
    .option('--limit-train <n>', 'training evaluator: train on a stratified subset of this many images', positiveInt('--limit-train'))
    .option('--recipe <file>', 'training evaluator: recipe file (YAML or JSON)')
    .option('--threads <n>', 'training evaluator: intra-op threads (default 2)', positiveInt('--threads'))
    .option('--report-test', 'training evaluator: also measure test accuracy (testAcc; reported, never selected on)')
    .option('--population <n>', 'evolution: population size P (default 20)', positiveInt('--population'))
    .option('--sample-size <n>', 'evolution: sample size S (default 5)', positiveInt('--sample-size'))
    .option('--resume <study>', 'continue a study of the store after a crash or with more --trials')
    .option('--json', 'print the result as JSON on the last line: {"study", "best": {"arch", "metrics"}, "trials"}')
    .addOption(new Option('--eval-delay-ms <n>', 'tests: sleep this long per synthetic trial').argParser(nonNegativeInt('--eval-delay-ms')).hideHelp())
    .action(async (strategyArg: string | undefined, o: SearchFlags) => {
      const log = (s: string) => process.stderr.write(`${s}\n`);
      const flags = flagsConfig(strategyArg, o);
      let fileCfg: SearchConfigInput = {};
      if (o.config) {
        if (o.resume) throw new Error(`--config cannot be used with --resume: study '${o.resume}' keeps the configuration it was created with`);
        fileCfg = loadSearchConfigFile(o.config);
      }
      const merged = mergeConfig(fileCfg, flags);
      const storeFile = merged.store ?? DEFAULT_STORE;
      let config: SearchConfig;
      let setup: SearchSetup | undefined;
      let store: StudyStore;
      let studyName: string;
      if (o.resume) {
        studyName = o.resume;
        store = StudyStore.open(storeFile);
        const study = (() => {
          try {
            return store.requireStudy(studyName);
          } catch (err) {
            store.close();
            throw err;
          }
        })();
        if (strategyArg && strategyArg !== study.strategy) {
          store.close();
          throw new Error(`study '${studyName}' searches with ${study.strategy}, not ${strategyArg}; resume it with: npx tsnas search --resume ${studyName}`);
        }
        const stored = study.config as unknown as SearchConfig;
        config = applyResumeOverrides(stored, { ...flags, strategy: undefined }, studyName);
        if (config.trials !== stored.trials || config.maxFailed !== stored.maxFailed) store.updateStudyConfig(study.id, config as unknown as Record<string, unknown>);
      } else {
        config = withStrategyDefaults(completeConfig(merged));
        setup = setupSearch(config); // every check before the store is touched
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
      } finally {
        store.close();
      }
      const metric = config.objective.metric;
      const b = summary.best;
      if (summary.stopped === 'failures') {
        process.exitCode = 1;
        log(`stopped: ${summary.failed} trial(s) failed (the cap is ${config.maxFailed ?? Math.max(10, config.trials)}; raise it with --max-failed); last error: ${summary.lastError}`);
      } else if (summary.stopped === 'done') {
        log(`the ${config.strategy} strategy has nothing more to propose`);
      }
      log(`study '${summary.study}': ${summary.complete} complete, ${summary.failed} failed trial(s)` +
        (b ? `; best ${metric} ${b.metrics[metric]!.toFixed(4)} (trial ${b.number}, flops ${formatCost('flops', b.costs.flops)}, params ${formatCost('params', b.costs.params)}` +
          `${b.costs.latencyUs !== null ? `, latency ${formatCost('latency', b.costs.latencyUs)}` : ''}): ${b.arch}` : ''));
      if (o.json) console.log(JSON.stringify({ study: summary.study, best: bestJson(b), trials: summary.complete, failed: summary.failed, store: storeFile }));
    });
}
