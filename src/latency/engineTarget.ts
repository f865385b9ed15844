// The engine itself as a latency target: libtorch through the addon, batch 1, eval mode, no
// autograd, channels_last activations and weights (as the trainer runs), a fixed number of
// intra-op threads; on the CPU (engine-cpu) or on a CUDA device (engine-cuda). Ops are built by
// the op registry and whole networks by the builder, exactly as training and search build them
// (BatchNorm is not folded into convs, since the engine does not fold it either).
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
  /** Where the modules run: cpu (default, target engine-cpu), cuda or cuda:N (target engine-cuda). */
  device?: string;
}

/** Builds the module an op spec describes, as the builder would inside a network. */
export function buildOpModule(spec: OpSpec): Module {
  if (spec.op === ADD_OP) return new BranchAdd();
  const cfg = parseOp(spec.op);
  if (cfg.type === 'linear') return new Linear(spec.cin, spec.cout, { bias: spec.bias ?? true });
  return buildBlock(cfg, spec.cin, spec.cout, spec.stride, { e1FirstConv: spec.e1FirstConv ?? 'keep' });
}

export class EngineTarget implements LatencyTarget {
  readonly info: TargetInfo;
  readonly threads: number;
  readonly device: string;

  constructor(o: EngineTargetOptions = {}) {
    this.threads = o.threads ?? 1;
    if (!Number.isInteger(this.threads) || this.threads < 1)
      throw new Error(`threads must be a positive integer, got ${o.threads}`);
    this.device = cudaDevice(o.device ?? 'cpu');
    this.info = {
      name: this.device === 'cpu' ? 'engine-cpu' : 'engine-cuda',
      runtime: 'libtorch',
      version: runtimeInfo().torchVersion,
      threads: this.threads,
      batch: 1,
      settings: {
        device: this.device,
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
    module.to({ device: this.device, memoryFormat: 'channels_last' });
    const onGpu = this.device !== 'cpu';
    const x: Tensor = keep(
      tidy(() => {
        const t = randn([1, ...input], { device: this.device });
        // As the trainer lays out its batches (to(), not contiguous(): a 1-channel input is ambiguous).
        return input.length === 3 ? t.to({ memoryFormat: 'channels_last' }) : t;
      }),
    );
    try {
      return noGrad(() =>
        timeRuns(
          () =>
            tidy(() => {
              const y = module.forward(x);
              // CUDA kernels run asynchronously: reading one value back waits for all of them (a
              // reduction and a copy of 4 bytes, the same for every subject, absorbed by overheadUs).
              if (onGpu) y.sum().item();
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

/** 'cpu', or a CUDA device this libtorch has (as 'cuda:N'); the error says how to get one. */
function cudaDevice(device: string): string {
  if (device === 'cpu') return device;
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) throw new Error(`the engine target's device must be cpu, cuda or cuda:N, got '${device}'`);
  const index = Number(m[1] ?? 0);
  const { cudaAvailable, cudaDeviceCount, torchVersion } = runtimeInfo();
  if (!cudaAvailable || index >= cudaDeviceCount)
    throw new Error(
      `engine-cuda on ${device}: the engine's libtorch ${torchVersion} has ${cudaAvailable ? cudaDeviceCount : 'no'} CUDA ` +
        'device(s); build the addon against a CUDA libtorch (TSNAS_LIBTORCH=... bash scripts/setup.sh; README, ' +
        "'Another libtorch (CUDA)') or time on the CPU (`target` engine-cpu)",
    );
  return `cuda:${index}`;
}
