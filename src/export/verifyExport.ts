// Checking an export: the same random inputs through the engine (eval mode, no autograd) and
// through onnxruntime-node on the exported bytes; the largest absolute difference of the outputs.
import { noGrad } from '../engine/autograd';
import { randn } from '../engine/creation';
import { tidy } from '../engine/memory';
import type { Module } from '../nn/module';
import { ortSession, runOnnx } from './onnxRuntimeNode';

export interface VerifyResult {
  maxAbsDiff: number;
  /** Largest absolute engine output, for scale. */
  maxAbsOutput: number;
  batch: number;
  outputShape: number[];
}

/** The tolerance every export is held to (docs/export.md). */
export const EXPORT_TOLERANCE = 1e-4;

/**
 * Runs `batch` random inputs of `inputShape` through the module (switched to eval mode) and the
 * ONNX model; an output shape that differs is an error.
 */
export async function verifyExport(
  module: Module,
  bytes: Uint8Array,
  inputShape: readonly number[],
  o: { batch?: number; threads?: number } = {},
): Promise<VerifyResult> {
  const batch = o.batch ?? 2;
  const shape = [batch, ...inputShape];
  module.eval();
  const { x, y, yShape } = tidy(() =>
    noGrad(() => {
      const input = randn(shape);
      const out = module.forward(input);
      return { x: input.dataSync() as Float32Array, y: out.dataSync() as Float32Array, yShape: out.shape };
    }),
  );
  const session = await ortSession(bytes, { threads: o.threads ?? 1 });
  try {
    const got = await runOnnx(session, { data: x, shape });
    if (got.shape.join('x') !== yShape.join('x'))
      throw new Error(`the ONNX model's output has shape [${got.shape}], the engine's [${yShape}]`);
    let maxAbsDiff = 0;
    let maxAbsOutput = 0;
    for (let i = 0; i < y.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got.data[i]! - y[i]!));
      maxAbsOutput = Math.max(maxAbsOutput, Math.abs(y[i]!));
    }
    if (Number.isNaN(got.data.reduce((a, v) => a + v, 0))) maxAbsDiff = NaN;
    return { maxAbsDiff, maxAbsOutput, batch, outputShape: yShape };
  } finally {
    await session.release();
  }
}
