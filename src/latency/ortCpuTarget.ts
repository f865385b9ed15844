// onnxruntime-node on this CPU as a latency target: each op (and each whole network) is exported
// to a small ONNX model (BatchNorm folded) and timed in an InferenceSession at batch 1, with a
// fixed number of intra-op threads, one inter-op thread, sequential execution and all graph
// optimizations, on the CPU execution provider; the settings are recorded in the table's target.
// Sessions are kept per subject while the target lives (a subject is timed once per round).
import type * as Ort from 'onnxruntime-node';
import { DEFAULT_OPSET } from '../export/onnxGraph';
import { loadOrtNode, ortSession, type OrtModule } from '../export/onnxRuntimeNode';
import { machineInfo } from './machine';
import { exportSubject, randomInput, subjectKey, type OnnxSubject } from './onnxSubject';
import { timeRunsAsync } from './timing';
import type { LatencyTarget, Measurable, MeasureOptions, TargetInfo, Timing } from './target';

export interface OrtCpuTargetOptions {
  threads?: number;
  hostname?: boolean;
  opset?: number;
}

export class OrtCpuTarget implements LatencyTarget {
  readonly info: TargetInfo;
  readonly #sessions = new Map<string, { session: Ort.InferenceSession; feeds: Record<string, Ort.Tensor> }>();

  private constructor(
    private readonly ort: OrtModule,
    readonly threads: number,
    readonly opset: number,
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
      },
      machine: machineInfo({ hostname }),
    };
  }

  /** Loads onnxruntime-node (a clear error when it is missing). */
  static async create(o: OrtCpuTargetOptions = {}): Promise<OrtCpuTarget> {
    const threads = o.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`threads must be a positive integer, got ${threads}`);
    return new OrtCpuTarget(await loadOrtNode(), threads, o.opset ?? DEFAULT_OPSET, o.hostname ?? true);
  }

  async measure(subject: Measurable, _input: readonly number[], o: MeasureOptions): Promise<Timing> {
    const s = await this.session(subject);
    const what = () => (subject.kind === 'op' ? `op ${subjectKey(subject)}` : 'a whole network');
    try {
      return await timeRunsAsync(() => s.session.run(s.feeds), o);
    } catch (e) {
      throw cannotRun(this.info, what(), e);
    }
  }

  private async session(subject: Measurable) {
    const key = subjectKey(subject);
    const hit = this.#sessions.get(key);
    if (hit) return hit;
    const model: OnnxSubject = exportSubject(subject, { opset: this.opset });
    let session: Ort.InferenceSession;
    try {
      session = await ortSession(model.bytes, { threads: this.threads });
    } catch (e) {
      throw cannotRun(this.info, model.what, e);
    }
    const feeds = {
      [session.inputNames[0]!]: new this.ort.Tensor('float32', randomInput(model.inputShape), model.inputShape),
    };
    const entry = { session, feeds };
    this.#sessions.set(key, entry);
    return entry;
  }

  close(): void {
    for (const { session } of this.#sessions.values()) void session.release();
    this.#sessions.clear();
  }
}

/** The error of a runtime that refuses a model: which target, what it was given, and what to do. */
export function cannotRun(info: TargetInfo, what: string, e: unknown): Error {
  const msg = (e as Error)?.message?.split('\n')[0] ?? String(e);
  return new Error(
    `target ${info.name} (${info.runtime} ${info.version}) cannot run ${what}: ${msg}. ` +
      `Time this space on a target that runs it (--target engine-cpu or ort-cpu), or leave the op out of the space`,
    { cause: e },
  );
}
