// onnxruntime-node on this CPU as a latency target: each op (and each whole network) is exported
// to a small ONNX model (BatchNorm folded) and timed in an InferenceSession at batch 1, with a
// fixed number of intra-op threads, one inter-op thread, sequential execution and all graph
// optimizations, on the CPU execution provider; the settings are recorded in the table's target.
// An op is timed by the op timing (opTiming.ts: K copies in one model, less the call's own cost),
// a whole network as one call. Sessions are kept per subject while the target lives (a subject is
// timed once per round).
import type * as Ort from 'onnxruntime-node';
import { DEFAULT_OPSET } from '../export/onnxGraph';
import { loadOrtNode, ortSession, type OrtModule } from '../export/onnxRuntimeNode';
import { machineInfo } from './machine';
import { exportSubject, randomInput, subjectKey, type OnnxSubject } from './onnxSubject';
import { checkOpTiming, DEFAULT_OP_TIMING, opTimingSettings, type OpTiming } from './opTiming';
import { timePerCopyAsync, timeRunsAsync } from './timing';
import type { LatencyTarget, Measurable, MeasureOptions, TargetInfo, Timing } from './target';

export interface OrtCpuTargetOptions {
  threads?: number;
  hostname?: boolean;
  opset?: number;
  /** How each op is timed (default DEFAULT_OP_TIMING). */
  opTiming?: OpTiming;
}

interface Loaded {
  session: Ort.InferenceSession;
  feeds: Record<string, Ort.Tensor>;
  copies: number;
  baseline: Ort.InferenceSession | null;
}

export class OrtCpuTarget implements LatencyTarget {
  readonly info: TargetInfo;
  readonly #sessions = new Map<string, Loaded>();

  private constructor(
    private readonly ort: OrtModule,
    readonly threads: number,
    readonly opset: number,
    readonly opTiming: OpTiming,
    hostname: boolean,
  ) {
    this.info = {
      name: 'ort-cpu',
      runtime: 'onnxruntime-node',
      version: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
      threads,
      batch: 1,
      settings: {
        executionProvider: 'cpu',
        interOpThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        dtype: 'float32',
        bnFolded: true,
        opset,
        ...opTimingSettings(opTiming),
      },
      machine: machineInfo({ hostname }),
    };
  }

  /** Loads onnxruntime-node (a clear error when it is missing). */
  static async create(o: OrtCpuTargetOptions = {}): Promise<OrtCpuTarget> {
    const threads = o.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`threads must be a positive integer, got ${threads}`);
    const opTiming = checkOpTiming(o.opTiming ?? DEFAULT_OP_TIMING);
    return new OrtCpuTarget(await loadOrtNode(), threads, o.opset ?? DEFAULT_OPSET, opTiming, o.hostname ?? true);
  }

  async measure(subject: Measurable, _input: readonly number[], o: MeasureOptions): Promise<Timing> {
    const s = await this.session(subject);
    const what = () => (subject.kind === 'op' ? `op ${subjectKey(subject)}` : 'a whole network');
    try {
      if (subject.kind === 'network') return await timeRunsAsync(() => s.session.run(s.feeds), o);
      const base = s.baseline;
      return await timePerCopyAsync(() => s.session.run(s.feeds), base && (() => base.run(s.feeds)), s.copies, o);
    } catch (e) {
      throw cannotRun(this.info, what(), e);
    }
  }

  private async session(subject: Measurable): Promise<Loaded> {
    const key = subjectKey(subject);
    const hit = this.#sessions.get(key);
    if (hit) return hit;
    const model: OnnxSubject = exportSubject(subject, { opset: this.opset, timing: this.opTiming });
    let session: Ort.InferenceSession;
    let baseline: Ort.InferenceSession | null = null;
    try {
      session = await ortSession(model.bytes, { threads: this.threads });
      if (model.baseline) baseline = await ortSession(model.baseline, { threads: this.threads });
    } catch (e) {
      throw cannotRun(this.info, model.what, e);
    }
    const feeds = {
      [session.inputNames[0]!]: new this.ort.Tensor('float32', randomInput(model.inputShape), model.inputShape),
    };
    const entry: Loaded = { session, feeds, copies: model.copies, baseline };
    this.#sessions.set(key, entry);
    return entry;
  }

  close(): void {
    for (const { session, baseline } of this.#sessions.values()) {
      void session.release();
      void baseline?.release();
    }
    this.#sessions.clear();
  }
}

/** The error of a runtime that refuses a model: which target, what it was given, and what to do. */
export function cannotRun(info: TargetInfo, what: string, e: unknown): Error {
  const msg = (e as Error)?.message?.split('\n')[0] ?? String(e);
  return new Error(
    `target ${info.name} (${info.runtime} ${info.version}) cannot run ${what}: ${msg}. ` +
      `Time this space on a target that runs it (\`target\` engine-cpu or ort-cpu), or leave the op out of the space`,
    { cause: e },
  );
}
