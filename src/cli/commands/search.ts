// tsnas search <strategy> ...: run a study (create it, or --resume it), a progress line per trial
// on stderr, and with --json the result as the last line of stdout. `tsnas search --help` lists the
// common flags and the strategies; `tsnas search STRATEGY --help` the common flags and that
// strategy's own (its plug-in's options), each strategy's flags being unlisted otherwise.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CONSTRAINT_FORMS, formatCost } from '../../cost/constraints';
import { DATA_SET_FORMS } from '../../data/dataSource';
import { EVALUATOR_FORMS } from '../../evaluate/index';
import { loadSearchConfigFile, mergeConfig, resolvePaths, type SearchConfigInput } from '../../search/config';
import type { FinalNetwork } from '../../search/finalNetwork';
import { finalTrainingLines } from '../../search/finalTraining';
import { getStrategy, strategyNames, strategyPlugins } from '../../search/registry';
import { finalizesNetwork, runStudy, type WorkersRunner } from '../../search/runStudy';
import { optionFlags, type OptionFlag } from '../../search/strategyFlags';
import { BUILTIN_SPACES } from '../../space/registry';
import { resolveStoreLocation } from '../../study/storeLocation';
import { DEVICE_HELP, deviceOption, useDevice } from '../device';
import { runLocalWorkers } from '../localWorkers';
import { DEFAULT_STORE, StudyStore } from '../../study/store';
import type { TrialCounts } from '../../study/runSearch';
import { isSettled, type TrialRecord } from '../../study/types';
import { chanceWarning } from '../chanceWarning';
import { StudyProgressPrinter } from '../progress';
import { nonNegativeInt, positiveInt, positiveNumber, seedOption } from '../options';
import { cliText } from '../errorText';
import { helpDependsOn } from '../flagErrorHint';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parseObjective(v: string): { metric: string; direction?: 'maximize' | 'minimize' } {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?::(max|min|maximize|minimize))?$/.exec(v);
  if (!m) throw new Error(`--objective must be METRIC or METRIC:max|min (e.g. accuracy, valLoss:min), got '${v}'`);
  return {
    metric: m[1]!,
    direction: m[2] === undefined ? undefined : m[2].startsWith('max') ? 'maximize' : 'minimize',
  };
}

function parseMetricMap(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(item);
    if (!m)
      throw new Error(
        `--metric must be NAME=FIELD (the study's metric name = the table's field, e.g. accuracy=val_acc), got '${item}'`,
      );
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The common flags (the search's, the evaluator's); strategies' flags come from their plug-ins. */
interface CommonFlags {
  config?: string;
  space?: string;
  data?: string;
  evaluator?: string;
  trials?: number;
  maxFailed?: number;
  constraint?: string[];
  lut?: string;
  study?: string;
  store?: string;
  files?: string;
  seed?: number;
  epochs?: number;
  trainEpochs?: number;
  limitTrain?: number;
  recipe?: string;
  threads?: number;
  reportTest?: boolean;
  objective?: string;
  metric?: string[];
  resume?: string;
  json?: boolean;
  evalDelayMs?: number;
  finalEpochs?: number;
  finalLimitTrain?: number;
  finalSeeds?: number;
  reference?: string[];
  teacher?: string;
  distillFrom?: string;
  workers?: number;
  timeout?: number;
  device?: string;
}
type SearchFlags = CommonFlags & Record<string, unknown>;

/** The strategies' flags, one per flag name (strategies that share a name share the flag), in registration order. */
interface StrategyFlag {
  flag: string;
  /** commander's attribute for it: 'theta-lr' -> thetaLr. */
  attribute: string;
  value: string | null;
  users: OptionFlag[];
  /** A former name of a flag (still read, never listed). */
  alias: boolean;
}

function strategyFlags(commonAttributes: ReadonlySet<string>): StrategyFlag[] {
  const byFlag = new Map<string, StrategyFlag>();
  for (const plugin of strategyPlugins()) {
    for (const f of optionFlags(plugin)) {
      const attribute = new Option(`--${f.flag}`).attributeName();
      if (commonAttributes.has(attribute) !== f.takesCommonFlag) {
        throw new Error(
          f.takesCommonFlag
            ? `strategy '${f.strategy}': option '${f.option}' takes the common flag --${f.flag}, but there is no such flag`
            : `strategy '${f.strategy}': option '${f.option}' would be --${f.flag}, a common flag of tsnas search; give it another name (flags: { ${f.option}: { name: ... } }) or take the common flag`,
        );
      }
      if (f.takesCommonFlag) continue;
      const known = byFlag.get(f.flag);
      if (known && (known.value === null) !== (f.value === null)) {
        throw new Error(
          `strategies '${known.users[0]!.strategy}' and '${f.strategy}' both define --${f.flag}, one as a switch and one with a value; rename one`,
        );
      }
      if (known && known.alias !== !!f.aliasOf)
        throw new Error(
          `--${f.flag} is a flag of strategy '${known.alias ? f.strategy : known.users[0]!.strategy}' and a former name of another's; rename one`,
        );
      if (known) known.users.push(f);
      else byFlag.set(f.flag, { flag: f.flag, attribute, value: f.value, users: [f], alias: !!f.aliasOf });
    }
  }
  return [...byFlag.values()];
}

/**
 * The flags as a config (paths relative to the working directory). `strategy` is the search's
 * strategy however it was given (argument, config file, stored study): its plug-in's flags become
 * its options, another strategy's flag is an error, and an option that takes a common flag
 * (e.g. a supernet's search `epochs`) takes it, the candidates' epochs then coming from --train-epochs.
 */
function flagsConfig(
  strategyArg: string | undefined,
  o: SearchFlags,
  strategy: string | undefined,
  flags: readonly StrategyFlag[],
): SearchConfigInput {
  const objective = o.objective ? parseObjective(o.objective) : undefined;
  const plugin = strategy !== undefined && strategyNames().includes(strategy) ? getStrategy(strategy) : null;
  const options: Record<string, unknown> = {};
  for (const f of flags) {
    const text = o[f.attribute];
    if (text === undefined) continue;
    const use = f.users.find((u) => u.strategy === strategy);
    if (!use) {
      const names = f.users.map((u) => u.strategy);
      throw new InvalidArgumentError(
        `--${f.flag} only applies to the ${names.join(', ')} strateg${names.length === 1 ? 'y' : 'ies'} ` +
          `(tsnas search ${names[0]} ...), not to ${strategy ?? 'a search without a strategy'}`,
      );
    }
    options[use.option] = use.parse(text === true ? '' : String(text));
  }
  const takesEpochs = plugin ? optionFlags(plugin).find((f) => f.takesCommonFlag && f.flag === 'epochs') : undefined;
  let trainEpochs = o.trainEpochs;
  if (takesEpochs) options[takesEpochs.option] = o.epochs;
  else if (o.epochs !== undefined) {
    if (o.trainEpochs !== undefined && o.trainEpochs !== o.epochs) {
      throw new InvalidArgumentError(
        `--epochs ${o.epochs} and --train-epochs ${o.trainEpochs} both set the candidates' epochs of a ${strategy} search: give one`,
      );
    }
    trainEpochs = o.epochs;
  }
  const definedOptions = Object.values(options).some((v) => v !== undefined);
  return resolvePaths(
    {
      strategy: strategyArg,
      space: o.space,
      evaluator: o.evaluator,
      data: o.data,
      trials: o.trials,
      maxFailed: o.maxFailed,
      seed: o.seed,
      constraints: o.constraint,
      lut: o.lut,
      study: o.study,
      store: o.store,
      files: o.files,
      objective: objective
        ? ({
            metric: objective.metric,
            ...(objective.direction ? { direction: objective.direction } : {}),
          } as SearchConfigInput['objective'])
        : undefined,
      metrics: parseMetricMap(o.metric),
      train:
        trainEpochs !== undefined ||
        o.limitTrain !== undefined ||
        o.recipe !== undefined ||
        o.threads !== undefined ||
        o.reportTest !== undefined
          ? {
              epochs: trainEpochs,
              limitTrain: o.limitTrain,
              recipe: o.recipe,
              threads: o.threads,
              reportTest: o.reportTest,
            }
          : undefined,
      options: definedOptions ? options : undefined,
      evalDelayMs: o.evalDelayMs,
      final:
        o.finalEpochs !== undefined ||
        o.finalLimitTrain !== undefined ||
        o.finalSeeds !== undefined ||
        o.reference !== undefined ||
        o.teacher !== undefined ||
        o.distillFrom !== undefined
          ? {
              epochs: o.finalEpochs,
              limitTrain: o.finalLimitTrain,
              seeds: o.finalSeeds,
              references: o.reference,
              teacher: o.teacher,
              distillFrom: o.distillFrom,
            }
          : undefined,
    },
    process.cwd(),
  );
}

/** The strategy a help was asked for (`tsnas search dnas --help`), or null. */
function helpStrategy(command: Command): string | null {
  return command.args.find((a) => strategyNames().includes(a)) ?? null;
}

/** Two columns as commander lays out its options: a term, then its description wrapped beside it. */
function helpItems(command: Command, items: ReadonlyArray<readonly [string, string]>): string {
  const help = command.createHelp();
  const width = help.helpWidth ?? 80;
  const termWidth = Math.max(...items.map(([t]) => t.length));
  return items
    .flatMap(([term, text]) => help.wrap(`${term.padEnd(termWidth + 2)}${text}`, width - 2, termWidth + 2).split('\n'))
    .map((line) => `  ${line}`)
    .join('\n');
}

/**
 * The end of the search command's help: with a strategy, its own flags (and the common flags it
 * takes for its options); without one, the strategies and how to see a strategy's flags.
 */
function strategyHelp(command: Command, program: Command): string {
  const name = helpStrategy(command);
  if (!name) {
    const plugins = strategyPlugins();
    return `\nStrategies:\n${helpItems(
      command,
      plugins.map((p) => [p.name, p.description]),
    )}\n\nEach strategy's own options: npx tsnas search STRATEGY --help\n(e.g. npx tsnas search ${plugins[0]?.name ?? 'random'} --help)`;
  }
  const plugin = getStrategy(name);
  const own = optionFlags(plugin).filter((f) => !f.aliasOf);
  const term = (f: OptionFlag) => `--${f.flag}${f.value === null ? '' : ` <${f.value}>`}`;
  const mine = own.filter((f) => !f.takesCommonFlag);
  const taken = own.filter((f) => f.takesCommonFlag);
  return (
    `\nStrategy ${name}: ${plugin.description}\n\nOptions of ${name}:\n` +
    (mine.length
      ? helpItems(
          command,
          mine.map((f) => [term(f), cliText(f.help, program)]),
        )
      : '  (none)') +
    (taken.length
      ? `\n\nCommon flags ${name} takes for its own options:\n` +
        helpItems(
          command,
          taken.map((f) => [`--${f.flag}`, cliText(f.help, program)]),
        )
      : '') +
    `\n\nA config file sets these as \`options:\` (docs/studies.md); they cannot change when a study resumes.`
  );
}

export function bestJson(
  t: TrialRecord | null,
  final?: FinalNetwork | null,
): { number: number; arch: string; metrics: Record<string, number | null> } | null {
  if (!t) return null;
  const metrics: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(t.metrics)) metrics[k] = Number.isFinite(v) ? v : null;
  if (t.costs.flops !== null) metrics.flops = t.costs.flops;
  if (t.costs.params !== null) metrics.params = t.costs.params;
  if (t.costs.latencyUs !== null) metrics.latencyUs = t.costs.latencyUs;
  if (final && final.trial === t.number && final.measuredLatencyUs !== null)
    metrics.measuredLatencyUs = final.measuredLatencyUs;
  return { number: t.number, arch: t.arch, metrics };
}

/** The chance-level warning of a study that just ran (its every trial read back from the store), or null. */
function studyChanceWarning(store: string, name: string): string | null {
  let opened: StudyStore | null = null;
  try {
    opened = StudyStore.open(store, { readonly: true });
    const study = opened.requireStudy(name);
    return chanceWarning(study, opened.trials(study.id));
  } catch {
    return null; // a warning never fails a search that finished
  } finally {
    opened?.close();
  }
}

export function registerSearch(program: Command): void {
  const command = program
    .command('search')
    .description(
      'search a space for the best architecture within resource constraints; a study in the store records every trial and resumes after a crash',
    )
    .argument('[strategy]', `the search strategy: ${strategyNames().join(', ')}`)
    .option('--config <file>', 'search configuration (YAML or JSON; see docs/studies.md); flags override it')
    .option('--space <space>', `a built-in space (${BUILTIN_SPACES.join(', ')}) or a space file`)
    .option(
      '--data <set>',
      `train each candidate on this data set: ${DATA_SET_FORMS.join(', ')}; image files decode to the space's input (docs/data.md)`,
    )
    .option('--evaluator <spec>', `how candidates are scored without --data: ${EVALUATOR_FORMS.join(', ')}`)
    .option(
      '--trials <n>',
      'complete trials to end with (default 20, unless the strategy sets its own, e.g. its number of proposals)',
      positiveInt('--trials'),
    )
    .option(
      '--max-failed <n>',
      'stop after this many failed trials (default max(10, trials))',
      positiveInt('--max-failed'),
    )
    .option(
      '--constraint <c>',
      `a resource constraint, repeatable: ${CONSTRAINT_FORMS.join(', ')}; X takes K/M/G (e.g. 'flops<=5M', quoted: bash reads < and > as redirections)`,
      collect,
    )
    .option('--lut <file>', 'latency lookup table (npx tsnas lut build) for latency constraints and latency columns')
    .option(
      '--objective <metric>',
      "the metric to optimise, METRIC[:max|min] (default accuracy:max; 'accuracy' is validation accuracy)",
    )
    .option(
      '--metric <name=field>',
      'tabular evaluator: read the study metric NAME from table field FIELD, repeatable (e.g. accuracy=val_acc)',
      collect,
    )
    .option('--study <name>', 'study name (default <strategy>-<space>-<time>)')
    .option(
      '--store <file|url>',
      `study store: an SQLite file (or sqlite:FILE; default ${DEFAULT_STORE}; study directories go beside it) or postgres://USER@HOST:PORT/DB, shared by workers on many machines (study directories in $TSNAS_STUDIES_DIR, default runs/studies)`,
    )
    .option(
      '--files <store|dir|beside>',
      "where the study keeps its files (checkpoints, supernets, predictor weights): 'store' (in the store itself, so that workers sharing only the database reach them; the default for postgres://), a folder every worker mounts at the same path, or 'beside' (beside an SQLite store; its default)",
    )
    .option(
      '--seed <n>',
      "the study's seed (default 0): the search's, and every trial's and final training's seed derives from it (a recipe's own seed pins the training seeds)",
      seedOption('--seed'),
    )
    .option(
      '--epochs <n>',
      'training evaluator: epochs per candidate (overrides the recipe), unless the strategy takes --epochs for its own (npx tsnas search STRATEGY --help says)',
      positiveInt('--epochs'),
    )
    .option(
      '--train-epochs <n>',
      'training evaluator: epochs per candidate (overrides the recipe); the same as --epochs, and the way to set them when the strategy takes --epochs',
      positiveInt('--train-epochs'),
    )
    .option(
      '--limit-train <n>',
      'training evaluator: train on a stratified subset of this many images',
      positiveInt('--limit-train'),
    )
    .option('--recipe <file>', 'training evaluator: recipe file (YAML or JSON)')
    .option('--threads <n>', 'training evaluator: intra-op threads (default 2)', positiveInt('--threads'))
    .option('--report-test', 'training evaluator: also measure test accuracy (testAcc; reported, never selected on)')
    .option(
      '--final-epochs <n>',
      "final training: train the search's result (and the --reference architectures) this many epochs on the whole training set, with EMA, then test it",
      positiveInt('--final-epochs'),
    )
    .option(
      '--reference <arch>',
      'final training: an architecture trained beside the result with the same recipe, to state the result against (a named architecture of the space, e.g. fbnet-s-baseline, or an architecture string); repeatable',
      collect,
    )
    .option(
      '--final-limit-train <n>',
      'final training: train on a stratified subset of this many images (a reduced run) instead of the whole training set',
      positiveInt('--final-limit-train'),
    )
    .option(
      '--final-seeds <k>',
      "final training: train the result and every reference this many times, each with its own seed (derived from --seed); the statement uses the means, gives the spread and says whether the difference is larger than the noise (Welch's t-test; default 1)",
      positiveInt('--final-seeds'),
    )
    .option('--teacher <dir>', 'final training: distil from this teacher (a `tsnas train` run directory)')
    .option(
      '--distill-from <reference>',
      "final training: the result learns from one of the --reference networks' predictions (knowledge distillation), run k from its run k, which trains first; the references train on the labels alone",
    )
    .option('--resume <study>', 'continue a study of the store after a crash or with more --trials')
    .option(
      '--workers <n>',
      'run the study in this many local worker processes (the --threads split between them); more can join from other machines: npx tsnas worker STUDY --store URL',
      positiveInt('--workers'),
    )
    .option(
      '--timeout <s>',
      "start no trial after this many seconds of this run (the running ones finish; the study is finalized with what it has; a supernet's training is not cut)",
      positiveNumber('--timeout'),
    )
    .option('--device <d>', DEVICE_HELP, deviceOption)
    .option('--json', 'print the result as JSON on the last line: {"study", "best": {"arch", "metrics"}, "trials"}')
    .addOption(
      new Option('--eval-delay-ms <n>', 'tests: sleep this long per synthetic trial')
        .argParser(nonNegativeInt('--eval-delay-ms'))
        .hideHelp(),
    );
  const common = new Set(command.options.map((opt) => opt.attributeName()));
  const flags = strategyFlags(common);
  // Each strategy's options as flags, values checked when the strategy is known; unlisted in the
  // common help: `tsnas search STRATEGY --help` lists one strategy's (strategyHelp).
  for (const f of flags)
    command.addOption(
      new Option(
        `--${f.flag}${f.value === null ? '' : ` <${f.value}>`}`,
        f.users.map((u) => `${u.strategy}: ${u.help}`).join('; '),
      ).hideHelp(),
    );
  command.addHelpText('after', () => strategyHelp(command, program));
  // A flag error of `tsnas search dnas ...` points to dnas's own help, which lists its flags.
  helpDependsOn(command, (c) => {
    const name = helpStrategy(c);
    return name ? [name] : [];
  });

  command.action(async (strategyArg: string | undefined, o: SearchFlags) => {
    const log = (s: string) => process.stderr.write(`${cliText(s, program)}\n`);
    let fileCfg: SearchConfigInput = {};
    if (o.config) {
      if (o.resume)
        throw new Error(
          `--config cannot be used with --resume: study '${o.resume}' keeps the configuration it was created with`,
        );
      fileCfg = loadSearchConfigFile(o.config);
    }
    await useDevice(o.device);
    const storeFile =
      (o.store !== undefined ? resolveStoreLocation(o.store, process.cwd()) : undefined) ??
      fileCfg.store ??
      DEFAULT_STORE;
    // The study's progress as trials settle: from the loop in this process, or read from the store
    // while worker processes run it.
    const progress = new StudyProgressPrinter(log, o.workers ?? 1);
    const onTrial = (t: TrialRecord, _best: TrialRecord | null, counts: TrialCounts) => {
      progress.timed(t);
      progress.update(counts);
    };
    // --workers N: the loop runs in N worker processes of this machine (tsnas worker).
    const runWorkers: WorkersRunner = async (store, study, w) => {
      const since = Date.now();
      const timed = new Set<number>();
      const poll = () => {
        const settled = store.trials(study.id).filter(isSettled);
        for (const t of settled)
          if (!timed.has(t.number) && (t.finishedAt ?? 0) >= since) {
            timed.add(t.number);
            progress.timed(t);
          }
        const complete = settled.filter((t) => t.state === 'complete').length;
        progress.update({ complete, failed: settled.length - complete, target: w.trials });
      };
      const timer = setInterval(poll, 2000);
      try {
        const summary = await runLocalWorkers(store, study, { ...w, device: o.device });
        poll(); // the last line: where the workers left the study
        return summary;
      } finally {
        clearInterval(timer);
      }
    };
    const workers = {
      ...(o.workers ? { workers: o.workers, runWorkers } : { onTrial }),
      ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    };
    const { config, summary, final, finalTraining } = o.resume
      ? await runStudy({
          resume: o.resume,
          strategy: strategyArg,
          overrides: (study) => flagsConfig(strategyArg, o, study.strategy, flags),
          store: storeFile,
          log,
          ...workers,
        })
      : await runStudy({
          config: mergeConfig(fileCfg, flagsConfig(strategyArg, o, strategyArg ?? fileCfg.strategy, flags)),
          store: storeFile,
          log,
          ...workers,
        });
    const plugin = getStrategy(config.strategy);
    const metric = config.objective.metric;
    const b = summary.best;
    if (summary.stopped === 'failures') {
      process.exitCode = 1;
      log(
        `stopped: ${summary.failed} trial(s) failed (the cap is ${config.maxFailed ?? Math.max(10, config.trials)}; raise it with --max-failed); last error: ${summary.lastError}`,
      );
    } else if (summary.stopped === 'timeout') {
      log(
        `stopped: the run's --timeout of ${o.timeout} s passed; the study has ${summary.complete} of its ${config.trials} trials (more with npx tsnas search --resume ${summary.study})`,
      );
    } else if (summary.stopped === 'done') {
      log(plugin.doneMessage ?? `the ${config.strategy} strategy has nothing more to propose`);
    }
    log(
      `study '${summary.study}': ${summary.complete} complete, ${summary.failed} failed trial(s)` +
        (b
          ? `; best ${metric} ${b.metrics[metric]!.toFixed(4)} (trial ${b.number}, flops ${formatCost('flops', b.costs.flops)}, params ${formatCost('params', b.costs.params)}` +
            `${b.costs.latencyUs !== null ? `, latency ${formatCost('latency', b.costs.latencyUs)}` : ''}): ${b.arch}`
          : ''),
    );
    const chance = studyChanceWarning(storeFile, summary.study);
    if (chance) log(chance);
    log(
      `report: npx tsnas study report ${summary.study}${storeFile === DEFAULT_STORE ? '' : ` --store ${storeFile}`} [--baseline <study>]`,
    );
    // The last lines: the final networks and the result against its references.
    if (finalTraining) for (const line of finalTrainingLines(finalTraining)) log(line);
    if (o.json) {
      console.log(
        JSON.stringify({
          study: summary.study,
          best: bestJson(b, final),
          trials: summary.complete,
          failed: summary.failed,
          store: storeFile,
          ...(finalizesNetwork(config) ? { final } : {}),
          ...(finalTraining ? { finalTraining } : {}),
        }),
      );
    }
  });
}
