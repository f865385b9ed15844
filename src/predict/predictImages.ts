// Images -> the model's top-k classes with probabilities: each file decoded by the model's own
// description (imageInput.ts), run in batches through the predictor (the engine or
// onnxruntime-node), and the logits turned into probabilities by one softmax, so that both
// runtimes' answers are computed alike.
import { imageInput } from './imageInput';
import type { Predictor } from './predictor';

export interface ClassProbability {
  index: number;
  className: string;
  probability: number;
}

export interface ImagePrediction {
  image: string;
  /** The k most probable classes, most probable first. */
  top: ClassProbability[];
}

export interface PredictOptions {
  /** Classes per image (default 5, at most the model's classes). */
  top?: number;
  /** Images per run (default 32). */
  batch?: number;
}

/** Softmax of one row of logits, in float64. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** The k most probable classes of one row of probabilities (ties: the lower index first). */
export function topClasses(probs: readonly number[], k: number, names: readonly string[]): ClassProbability[] {
  return probs
    .map((probability, index) => ({ index, className: names[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}

/** Predicts every image; a file that does not decode is an error naming it (nothing is predicted). */
export async function predictImages(
  predictor: Predictor,
  files: readonly string[],
  o: PredictOptions = {},
): Promise<ImagePrediction[]> {
  const d = predictor.description;
  const classes = d.classNames.length;
  const k = Math.min(o.top ?? 5, classes);
  if (!Number.isInteger(k) || k < 1) throw new Error(`top must be a positive integer, got ${o.top}`);
  const batch = o.batch ?? 32;
  const per = d.input.channels * d.input.height * d.input.width;
  const out: ImagePrediction[] = [];
  for (let start = 0; start < files.length; start += batch) {
    const chunk = files.slice(start, start + batch);
    const decoded = await Promise.all(chunk.map((f) => imageInput(f, d)));
    const inputs = new Float32Array(chunk.length * per);
    decoded.forEach((img, i) => inputs.set(img.data, i * per));
    const logits = await predictor.logits(inputs, chunk.length);
    if (logits.length !== chunk.length * classes)
      throw new Error(
        `${predictor.source}: the model answered ${logits.length} values for ${chunk.length} images of ${classes} classes`,
      );
    chunk.forEach((image, i) =>
      out.push({ image, top: topClasses(softmax(logits.subarray(i * classes, (i + 1) * classes)), k, d.classNames) }),
    );
  }
  return out;
}
