// Latency targets: whatever runs the model in deployment (the engine on this CPU; onnxruntime-node;
// onnxruntime-web in a browser; latencyTargets.ts lists them). A target times plain data (an op spec or a decoded network), so
// the table format and the table builder never depend on the engine; only a target does.
import type { NetDesc } from '../space/types';

/** The machine a target runs on. */
export interface MachineInfo {
  /** CPU model ('model name' of /proc/cpuinfo, or os.cpus()[0].model). */
  cpu: string;
  /** Logical cores visible to the process. */
  cores: number;
  /** Operating system and architecture, e.g. 'linux x64'. */
  os: string;
  hostname?: string;
}

/** What a latency table records about where it was measured; a table is only valid there. */
export interface TargetInfo {
  /** Target id, e.g. 'engine-cpu'. */
  name: string;
  /** Runtime, e.g. 'libtorch'. */
  runtime: string;
  /** Runtime version, e.g. '1.13.0'. */
  version: string;
  /** Intra-op threads, fixed while timing. */
  threads: number;
  /** Batch size of every timed forward pass (1). */
  batch: number;
  /** Anything else that changes timings: memory format, eval mode, grad mode, BN folding. */
  settings: Record<string, string | number | boolean>;
  machine: MachineInfo;
}

/**
 * One op as a latency table keys it: the op config (a canonical op name), the layer's input
 * shape (C, H, W; a feature vector is [F, 1, 1]), channels and stride, and what else changes
 * the op that gets built (the space's e = 1 reading for ir ops, the bias of a linear layer).
 */
export interface OpSpec {
  op: string;
  input: [number, number, number];
  cin: number;
  cout: number;
  stride: number;
  /** Only for ir ops with expansion 1: whether the first 1x1 conv is kept. */
  e1FirstConv?: 'keep' | 'drop';
  /** Only for linear: bias (default true). */
  bias?: boolean;
}

/**
 * How a target times: untimed warm-up runs (at least `warmup`, and for at least `warmupMs`:
 * DEFAULT_WARMUP_MS in timing.ts), then the median of `repeats` timed runs.
 */
export interface MeasureOptions {
  warmup: number;
  repeats: number;
  warmupMs?: number;
}

/** A timing: the median and the spread of the timed runs, in microseconds. */
export interface Timing {
  medianUs: number;
  /** 25th and 75th percentiles of the timed runs. */
  p25Us: number;
  p75Us: number;
  runs: number;
  /** Every timed run, microseconds, when the target keeps them (so callers can pool rounds). */
  samplesUs?: number[];
  /** Runs thrown away because another process took the core during them (then re-run). */
  discarded?: number;
  /** True when too few runs were clean and preempted runs were used too: the timing is inflated by other load. */
  contended?: boolean;
}

/** Something a target can time: one op, or a whole decoded network. */
export type Measurable = { kind: 'op'; spec: OpSpec } | { kind: 'network'; desc: NetDesc };

export interface LatencyTarget {
  readonly info: TargetInfo;
  /**
   * Times a forward pass of the subject at batch 1 (after `warmup` untimed runs, the median of
   * `repeats` timed runs). `input` is the subject's input shape without the batch dimension
   * (C, H, W); for a network it must equal the network's input. Asynchronous so that targets
   * that run elsewhere (a browser, another process) fit.
   */
  measure(subject: Measurable, input: readonly number[], o: MeasureOptions): Promise<Timing>;
  /** Frees whatever the target holds (sessions, threads, a browser); safe to call twice; await it. */
  close?(): void | Promise<void>;
}
