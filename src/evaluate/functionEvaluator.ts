// A user's own objective as an evaluator (NNI's FunctionalEvaluator, Optuna's objective): an async
// function of the trial that returns its metrics. The trial hands it what a trial has: its number,
// architecture, recipe and space, the network built on demand (disposed when the function is
// done), a generator seeded by the study's seed and the trial's number, a way to report
// intermediate values (recorded as the trial's epochs, so reports and curves show them) and to
// learn that the strategy's early stopping was reached. Whatever goes wrong in the function (it
// throws, returns NaN, a string, or lacks a metric) fails that trial with the reason, never the
// study: the search goes on, up to the study's `maxFailed`.
import type { Network } from '../builder/buildNetwork';
import { Rng } from '../random/rng';
import { deriveSeed, hashString } from '../random/seeds';
import type { Arch, DecodeOptions, Space } from '../space/types';
import { EvaluationError, type EvalJob, type EvalResult, type Evaluator } from './evaluator';

/** The evaluator kind of a function's spec: 'function:NAME'. */
export const FUNCTION_KIND = 'function';

/** One trial, as an objective function sees it. */
export interface TrialContext {
  /** The trial's number in its study (0, 1, 2, ...). */
  readonly number: number;
  /** The architecture to evaluate: one value per dimension of the space. */
  readonly arch: Arch;
  /** The architecture as the study records it (its canonical compact string). */
  readonly archText: string;
  /** The recipe fields the strategy proposed with it (joint searches), or null. */
  readonly recipe: Record<string, unknown> | null;
  /** The study's space. */
  readonly space: Space;
  /** Seeded by the study's seed and the trial's number: the same trial draws the same numbers. */
  readonly rng: Rng;
  /** The number of reports after which the strategy stops the trial early (its `stopAfterEpochs`), or null. */
  readonly stopAfterReports: number | null;
  /** Aborted once the strategy's early stop is reached (see shouldStop). */
  readonly signal: AbortSignal;
  /** The study's directory, for files of the objective's own. */
  readonly studyDir: string;
  /**
   * The architecture built as a network (src/builder; the engine loads on the first call), once
   * per trial; it is disposed when the objective returns or throws, so do not keep it.
   */
  network(): Promise<Network>;
  /**
   * Records intermediate values (an epoch's validation accuracy, say) at `step`: they become the
   * trial's epochs in the store, each with its `step`. Non-finite values are refused.
   */
  report(step: number, values: Record<string, number>): void;
  /** True once as many values were reported as the strategy asked for (its early stopping): return then. */
  shouldStop(): boolean;
  /** A line of progress (the study's log). */
  log(line: string): void;
  /**
   * Says the trial is alive (throttled; `report` says it too). Call it often (every batch) in long
   * stretches without a report, which keep the event loop busy: with many workers on a study,
   * another worker takes a trial silent for `staleAfterSeconds` (60 by default) as lost, and asks it again.
   */
  heartbeat(): void;
}

/** What an objective returns: its metrics by name, or one number when it reports one metric. */
export type ObjectiveResult = Record<string, number> | number;

/** A user's objective: the metrics of a trial's architecture. */
export type ObjectiveFunction = (trial: TrialContext) => Promise<ObjectiveResult> | ObjectiveResult;

export interface FunctionEvaluatorOptions {
  /**
   * The metrics it returns (one of them the study's objective). Default: ['accuracy'], the
   * objective a study maximizes unless told otherwise.
   */
  metrics?: readonly string[];
  /** Names the function in the study ('function:NAME'): the same name is given again on resume. Default 'objective'. */
  name?: string;
  /** The input shape and classes the network is built with and costed at (default the space's). */
  decode?: DecodeOptions;
  /** For people: what it computes. */
  description?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** An Evaluator that runs a user's objective function on each trial. */
export function functionEvaluator(fn: ObjectiveFunction, o: FunctionEvaluatorOptions = {}): Evaluator {
  if (typeof fn !== 'function') throw new TypeError(`functionEvaluator: expected a function, got ${typeof fn}`);
  const name = o.name ?? 'objective';
  if (!NAME.test(name))
    throw new TypeError(`functionEvaluator: a name is letters, digits, '.', '_' and '-', not '${name}'`);
  const metrics = [...(o.metrics ?? ['accuracy'])];
  if (metrics.length === 0) throw new TypeError('functionEvaluator: name at least one metric it returns');
  const decode = o.decode ?? {};
  const evaluator: Evaluator = {
    kind: FUNCTION_KIND,
    spec: `${FUNCTION_KIND}:${name}`,
    description: o.description ?? `the function '${name}'`,
    decode,
    metrics,
    recipeFor: (_arch, proposed) => proposed ?? null,
    async evaluate(job: EvalJob): Promise<EvalResult> {
      if (!job.space) throw new EvaluationError(`the function '${name}' needs the study's space: run it in a study`);
      const space = job.space;
      const epochs: Array<Record<string, number>> = [];
      const stopAt = job.stopAfterEpochs ?? null;
      const abort = new AbortController();
      let net: Network | null = null;
      const trial: TrialContext = {
        number: job.trialNumber,
        arch: job.arch,
        archText: job.archText,
        recipe: job.recipe,
        space,
        rng: new Rng(deriveSeed(job.seed ?? 0, job.trialNumber, hashString(`objective:${name}`))),
        stopAfterReports: stopAt,
        signal: abort.signal,
        studyDir: job.studyDir,
        async network() {
          if (!net) {
            // The engine loads only when an objective asks for a network.
            const { buildNetwork } = await import('../builder/buildNetwork');
            const { keep } = await import('../engine/memory');
            net = keep(buildNetwork(space, job.arch, decode));
          }
          return net;
        },
        report(step, values) {
          if (!Number.isFinite(step)) throw new TypeError(`report: the step must be a finite number, got ${step}`);
          for (const [k, v] of Object.entries(values))
            if (typeof v !== 'number' || !Number.isFinite(v))
              throw new TypeError(`report: '${k}' at step ${step} must be a finite number, got ${String(v)}`);
          epochs.push({ step, ...values });
          job.onEpoch?.(epochs.map((e) => ({ ...e })));
          job.heartbeat();
          if (stopAt !== null && epochs.length >= stopAt && !abort.signal.aborted) abort.abort();
        },
        shouldStop: () => stopAt !== null && epochs.length >= stopAt,
        log: (line) => job.log(line),
        heartbeat: () => job.heartbeat(),
      };
      let out: unknown;
      try {
        out = await fn(trial);
      } catch (err) {
        throw new EvaluationError(`the function '${name}' threw: ${err instanceof Error ? err.message : String(err)}`, {
          epochs,
        });
      } finally {
        (net as Network | null)?.dispose();
        if (!abort.signal.aborted) abort.abort();
      }
      return { metrics: checkResult(name, metrics, out, epochs), epochs };
    },
  };
  return evaluator;
}

/** The metrics an objective returned, checked: every declared metric a finite number, else the trial fails saying which. */
function checkResult(
  name: string,
  metrics: readonly string[],
  out: unknown,
  epochs: Array<Record<string, number>>,
): Record<string, number> {
  const fail = (why: string) => new EvaluationError(`the function '${name}' ${why}`, { epochs });
  let r: Record<string, unknown>;
  if (typeof out === 'number') {
    if (metrics.length !== 1)
      throw fail(`returned a number (${out}); it reports ${metrics.join(', ')}: return an object of them`);
    r = { [metrics[0]!]: out };
  } else if (out !== null && typeof out === 'object' && !Array.isArray(out)) {
    r = out as Record<string, unknown>;
  } else {
    throw fail(`returned ${out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out}, not its metrics`);
  }
  const result: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw fail(
        `returned ${k} = ${typeof v === 'number' ? v : (JSON.stringify(v) ?? String(v))}, not a finite number`,
      );
    result[k] = v;
  }
  const missing = metrics.filter((m) => !(m in result));
  if (missing.length)
    throw fail(`returned no ${missing.join(', ')} (it returned ${Object.keys(result).join(', ') || 'nothing'})`);
  return result;
}
