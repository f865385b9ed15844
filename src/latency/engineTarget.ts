// The engine itself on this CPU as a latency target: libtorch through the addon, batch 1,
// eval mode, no autograd, channels_last activations and weights (as the trainer runs), a fixed
// number of intra-op threads. Ops are built by the op registry and whole networks by the
// builder, exactly as training and search build them (BatchNorm is not folded into convs,
// since the engine does not fold it either).
import { buildBlock } from '../blocks/registry';
import { Network } from '../builder/buildNetwork';
import { randn } from '../engine/creation';
import { noGrad } from '../engine/autograd';
import { dispose, keep, tidy } from '../engine/memory';
import { getNumThreads, runtimeInfo, setNumThreads } from '../engine/runtime';
import type { Tensor } from '../engine/tensor';
import type { Module } from '../nn/module';
import { BranchAdd } from '../blocks/multiBranch';
import { ADD_OP } from './latencyKey';
import { Linear } from '../nn/linear';
import { parseOp } from '../blocks/opName';
import { machineInfo } from './machine';
import { timeRuns } from './timing';
import type { LatencyTarget, Measurable, MeasureOptions, OpSpec, TargetInfo, Timing } from './target';

export interface EngineTargetOptions {
  /** Intra-op threads (default 1: the reproducible setting). */
  threads?: number;
  /** Record the host name in the table (default true). */
  hostname?: boolean;
}

/** Builds the module an op spec describes, as the builder would inside a network. */
export function buildOpModule(spec: OpSpec): Module {
  if (spec.op === ADD_OP) return new BranchAdd();
  const cfg = parseOp(spec.op);
  if (cfg.type === 'linear') return new Linear(spec.cin, spec.cout, { bias: spec.bias ?? true });
  return buildBlock(cfg, spec.cin, spec.cout, spec.stride, { e1FirstConv: spec.e1FirstConv ?? 'keep' });
}

export class EngineCpuTarget implements LatencyTarget {
  readonly info: TargetInfo;
  readonly threads: number;

  constructor(o: EngineTargetOptions = {}) {
    this.threads = o.threads ?? 1;
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new Error(`threads must be a positive integer, got ${o.threads}`);
    this.info = {
      name: 'engine-cpu',
      runtime: 'libtorch',
      version: runtimeInfo().torchVersion,
      threads: this.threads,
      batch: 1,
      settings: {
        device: 'cpu',
        dtype: 'float32',
        memoryFormat: 'channels_last',
        mode: 'eval',
        grad: false,
        bnFolded: false,
      },
      machine: machineInfo({ hostname: o.hostname ?? true }),
    };
  }

  async measure(subject: Measurable, input: readonly number[], o: MeasureOptions): Promise<Timing> {
    return this.measureSync(subject, input, o);
  }

  /** The same as measure(), synchronously (the engine runs in this thread). */
  measureSync(subject: Measurable, input: readonly number[], o: MeasureOptions): Timing {
    const module = subject.kind === 'op' ? buildOpModule(subject.spec) : new Network(subject.desc);
    try {
      const linear = subject.kind === 'op' && subject.spec.op !== ADD_OP && parseOp(subject.spec.op).type === 'linear';
      return this.timeModule(module, linear ? [input[0]!] : input, o);
    } finally {
      module.dispose();
    }
  }

  /**
   * Times a ready module (it is switched to eval mode and channels_last) at batch 1 on an input
   * of the given shape (without the batch dimension); the thread count is set for the duration.
   */
  timeModule(module: Module, input: readonly number[], o: MeasureOptions): Timing {
    const before = getNumThreads();
    setNumThreads(this.threads);
    module.eval();
    module.to({ memoryFormat: 'channels_last' });
    const x: Tensor = keep(
      tidy(() => {
        const t = randn([1, ...input]);
        // As the trainer lays out its batches (to(), not contiguous(): a 1-channel input is ambiguous).
        return input.length === 3 ? t.to({ memoryFormat: 'channels_last' }) : t;
      }),
    );
    try {
      return noGrad(() =>
        timeRuns(
          () =>
            tidy(() => {
              module.forward(x);
            }),
          o,
        ),
      );
    } finally {
      dispose(x);
      setNumThreads(before);
    }
  }
}
