// onnxruntime-node, loaded only when something runs an exported model (verification, the ort-cpu
// latency target), with an error that says how to install it when it is missing.
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;

let cached: OrtModule | null = null;

export const ORT_NODE_FIX =
  "install it with the README's set-up (npm run setup), or alone: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node";

/** The onnxruntime-node module; a clear error when it is not installed or does not load. */
export async function loadOrtNode(): Promise<OrtModule> {
  if (cached) return cached;
  try {
    cached = (await import('onnxruntime-node')) as OrtModule;
  } catch (e) {
    throw new Error(`onnxruntime-node is not available (${(e as Error).message.split('\n')[0]}): ${ORT_NODE_FIX}`, {
      cause: e,
    });
  }
  return cached;
}

export interface OrtSessionOptions {
  /** Intra-op threads (default 1). */
  threads?: number;
  /** Execution provider (default 'cpu'). */
  executionProvider?: string;
}

/** An inference session on ONNX bytes, with a fixed thread count and sequential execution. */
export async function ortSession(bytes: Uint8Array, o: OrtSessionOptions = {}): Promise<Ort.InferenceSession> {
  const ort = await loadOrtNode();
  return ort.InferenceSession.create(bytes, {
    executionProviders: [o.executionProvider ?? 'cpu'],
    intraOpNumThreads: o.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

/** Runs a one-input, one-output model on float32 data; returns the output's data and shape. */
export async function runOnnx(
  session: Ort.InferenceSession,
  input: { data: Float32Array; shape: number[] },
): Promise<{ data: Float32Array; shape: number[] }> {
  const ort = await loadOrtNode();
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.shape) };
  const out = (await session.run(feeds))[session.outputNames[0]!]!;
  return { data: out.data as Float32Array, shape: [...out.dims] };
}
