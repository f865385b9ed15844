// An image file -> the network's input, by the model's own description: decoded with sharp to its
// channels (grey or sRGB colour) and size by its resize mode (data/imageDecode.ts, as image data
// sets are decoded for training), then normalised as the loader does: (pixel / 255 - mean) / std.
import * as fs from 'node:fs';
import { decodeImage } from '../data/imageDecode';
import type { ModelDescription } from '../data/modelDescription';

/** One image's input: C*H*W float32 values (NCHW without the batch). */
export interface ImageInput {
  file: string;
  data: Float32Array;
  /** The file's channels were the other kind (colour made grey, or grey made colour). */
  converted: boolean;
}

/** uint8 CHW pixels -> normalised float32 CHW by the description's mean and std. */
export function normalizePixels(pixels: Uint8Array, d: ModelDescription): Float32Array {
  const { channels, height, width } = d.input;
  const plane = height * width;
  if (pixels.length !== channels * plane)
    throw new Error(`${pixels.length} pixels are not ${channels}x${height}x${width}`);
  const out = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) {
    // The loader's order of operations: x / 255, then - mean, then / std (in float32).
    const mean = Math.fround(d.mean[c]!);
    const std = Math.fround(d.std[c]!);
    for (let k = c * plane; k < (c + 1) * plane; k++)
      out[k] = Math.fround(Math.fround(Math.fround(pixels[k]! / 255) - mean) / std);
  }
  return out;
}

/** Decodes and normalises one image file; a file that does not decode is an error naming it. */
export async function imageInput(file: string, d: ModelDescription): Promise<ImageInput> {
  const { channels, height, width } = d.input;
  if (!fs.existsSync(file)) throw new Error(`${file}: no such image file`);
  let decoded;
  try {
    decoded = await decodeImage(file, { channels: channels as 1 | 3, height, width, resize: d.resize });
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0];
    throw new Error(`${file}: cannot decode the image (${reason}); give a JPEG, PNG, WebP, GIF or TIFF file`, {
      cause: e,
    });
  }
  return { file, data: normalizePixels(decoded.pixels, d), converted: decoded.converted };
}
