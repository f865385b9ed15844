// The network a study ends with: its best complete trial by the objective, timed end to end at
// batch 1 in the latency table's own runtime (the table's target: the engine, or the network
// exported to ONNX and run in onnxruntime-node or a browser, with the table's threads), else on
// the engine with the study's threads; recorded in the study's state under FINAL_NETWORK beside
// the table's prediction, with its accuracies, costs and how it was measured. Methods that end
// with one chosen network call it from their plug-in's `finalize` hook, and `tsnas search` calls
// it for every other search that has a table; it measures again only when the best trial changed.
// The runtime loads only when a network is timed.
import { readLatencyTable, type LatencyTable } from '../latency/latencyTable';
import { formatCost } from '../cost/constraints';
import type { Evaluator } from '../evaluate/evaluator';
import { parseArch } from '../space/archFormat';
import { decode } from '../space/decode';
import type { Arch, Space } from '../space/types';
import { stateKey } from '../study/stateKey';
import { bestTrial, type StudyStore } from '../study/store';
import type { StudyRecord } from '../study/types';
import type { SearchConfig } from './config';

/** The chosen network (state 'final'). */
export interface FinalNetwork {
  trial: number;
  arch: string;
  source: string | null;
  valAcc: number | null;
  testAcc: number | null;
  tableLatencyUs: number | null;
  measuredLatencyUs: number | null;
  measuredP25Us: number | null;
  measuredP75Us: number | null;
  flops: number | null;
  params: number | null;
  /** How the latency was measured: target, threads, runs. */
  measuredWith: string | null;
  /** The target it was timed on (the table's: engine-cpu, ort-cpu, browser-wasm, ...). */
  target?: string;
}

export const FINAL_NETWORK = stateKey<FinalNetwork>('final');

export interface MeasureFinalOptions {
  store: StudyStore;
  study: StudyRecord;
  /** The study's configuration (its threads time the network when there is no table). */
  config: SearchConfig;
  /** The study's latency table, as the set-up read it (its runtime and threads time the network); null without one. */
  latencyTable: LatencyTable | null;
  space: Space;
  /** The study's evaluator (its decode options give the input and classes the network runs at). */
  evaluator: Pick<Evaluator, 'decode'>;
  log?: (line: string) => void;
  /** Timing runs (defaults: the table's warm-up, at most 200 repeats; 10 and 50 without a table). */
  warmup?: number;
  repeats?: number;
}

/** Measures (or returns the known measurement of) the study's best trial; null when no trial is complete. */
export async function measureFinalNetwork(o: MeasureFinalOptions): Promise<FinalNetwork | null> {
  const { store, study, space } = o;
  const best = bestTrial(store.trials(study.id), study.objective.metric, study.objective.direction);
  if (!best) return null;
  const known = store.getState(study.id, FINAL_NETWORK);
  if (known && known.trial === best.number && known.measuredLatencyUs !== null) return known;
  const arch = parseArch(space, best.arch);
  const timing = await timeNetwork({
    space,
    arch,
    config: o.config,
    latencyTable: o.latencyTable,
    evaluator: o.evaluator,
    warmup: o.warmup,
    repeats: o.repeats,
  });
  const threads = timing.threads;
  const final: FinalNetwork = {
    trial: best.number,
    arch: best.arch,
    source: best.source,
    valAcc: Number.isFinite(best.metrics.accuracy) ? best.metrics.accuracy! : null,
    testAcc: Number.isFinite(best.metrics.testAcc) ? best.metrics.testAcc! : null,
    tableLatencyUs: best.costs.latencyUs,
    measuredLatencyUs: timing.medianUs,
    measuredP25Us: timing.p25Us,
    measuredP75Us: timing.p75Us,
    flops: best.costs.flops,
    params: best.costs.params,
    measuredWith: timing.measuredWith,
    target: timing.target,
  };
  store.setState(study.id, FINAL_NETWORK, final);
  o.log?.(
    `${study.strategy}: final network trial ${best.number} (${best.source}): validation accuracy ${final.valAcc === null ? '?' : (final.valAcc * 100).toFixed(2)}%` +
      `${final.testAcc !== null ? `, test accuracy ${(final.testAcc * 100).toFixed(2)}%` : ''}, table latency ${formatCost('latency', final.tableLatencyUs)}, ` +
      `measured latency ${formatCost('latency', final.measuredLatencyUs)} on ${timing.where} (${threads} thread${threads === 1 ? '' : 's'}), ${formatCost('flops', final.flops)} MACs: ${best.arch}`,
  );
  return final;
}

/** A network's batch-1 latency in the latency table's runtime (else the engine), measured as the study's final network is. */
export interface NetworkTiming {
  medianUs: number;
  p25Us: number;
  p75Us: number;
  threads: number;
  /** The runtime, e.g. 'engine-cpu (libtorch 1.13.0)'. */
  where: string;
  /** The target's name (the table's: engine-cpu, ort-cpu, browser-wasm, ...). */
  target: string;
  /** How: target, threads, runs. */
  measuredWith: string;
}

export interface TimeNetworkOptions {
  space: Space;
  arch: Arch;
  /** The study's configuration: its latency table's threads (else its training threads) time the network. */
  config: Pick<SearchConfig, 'lut' | 'train'>;
  /** The table of `config.lut` when the caller has read it already (absent: read here). */
  latencyTable?: LatencyTable | null;
  evaluator: Pick<Evaluator, 'decode'>;
  warmup?: number;
  repeats?: number;
}

/**
 * Times a network end to end at batch 1 in the latency table's runtime (else on the engine), with
 * the table's threads, else the study's (defaults: the table's warm-up, at most 200 repeats; 10
 * and 50 without a table). Loads the runtime.
 */
export async function timeNetwork(o: TimeNetworkOptions): Promise<NetworkTiming> {
  const table: LatencyTable | null =
    o.latencyTable !== undefined ? o.latencyTable : o.config.lut ? readLatencyTable(o.config.lut) : null;
  const threads = table?.target.threads ?? o.config.train?.threads ?? 1;
  const warmup = o.warmup ?? Math.max(5, table?.protocol.warmup ?? 10);
  const repeats = o.repeats ?? Math.min(200, Math.max(30, table?.protocol.repeats ?? 50));
  const desc = decode(o.space, o.arch, o.evaluator.decode);
  const { isEngineTarget, makeLatencyTarget, makeTargetOfTable, TARGET_NAMES } =
    await import('../latency/latencyTargets');
  // A table of a runtime tsnas cannot run (made up, or another tool's) is checked on the engine.
  const runnable = table && (TARGET_NAMES as readonly string[]).includes(table.target.name);
  const target = runnable
    ? await makeTargetOfTable(table.target, { threads, hostname: false })
    : await makeLatencyTarget('engine-cpu', { threads, hostname: false });
  const timing = await target
    .measure({ kind: 'network', desc }, desc.input, { warmup, repeats })
    .finally(() => target.close?.());
  const where = `${target.info.name} (${target.info.runtime} ${target.info.version})`;
  return {
    medianUs: timing.medianUs,
    p25Us: timing.p25Us,
    p75Us: timing.p75Us,
    threads,
    where,
    target: target.info.name,
    measuredWith:
      `${where}${isEngineTarget(target.info.name) ? '' : ', the network exported to ONNX'}, ${threads} thread${threads === 1 ? '' : 's'}${table ? ' as the latency table' : ''}${table && !runnable ? ` (whose target '${table.target.name}' is not a runtime tsnas runs)` : ''}, batch 1, ` +
      `input ${desc.input.join('x')}, median of ${timing.runs} runs after ${warmup} warm-up runs`,
  };
}
