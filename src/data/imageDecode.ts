// Decoding image files to uint8 CHW pixels of one size with sharp (libvips): the first frame of
// an animated GIF or a multi-page TIFF, EXIF orientation applied, alpha dropped, converted to grey
// (1 channel) or sRGB colour (3 channels), resized to the target by 'crop' (the shorter side to
// the target, then the centre cut out: torchvision's Resize + CenterCrop) or 'squash' (both sides
// to the target, the aspect ratio not kept). Runs in the decoding process (decodeImagesMain.ts),
// never on the training path.
import type { Sharp } from 'sharp';

export type ResizeMode = 'crop' | 'squash';
export const RESIZE_MODES: readonly ResizeMode[] = ['crop', 'squash'];

export interface DecodeTarget {
  channels: 1 | 3;
  height: number;
  width: number;
  resize: ResizeMode;
}

export interface DecodedImage {
  /** channels x height x width, uint8. */
  pixels: Uint8Array;
  /** The file's own channels were the other kind (colour made grey, or grey made colour). */
  converted: boolean;
}

// The types are the ESM declaration's default export; under require the module is that function itself.
type SharpFn = typeof import('sharp').default;
let sharpFn: SharpFn | null = null;

/** sharp, loaded on first use, with a message that says how to fix an install without it. */
export function loadSharp(): SharpFn {
  if (sharpFn) return sharpFn;
  try {
    sharpFn = require('sharp') as SharpFn;
  } catch (e) {
    throw new Error(
      `the image decoder (sharp) did not load: ${(e as Error).message.split('\n')[0]}. Run 'npm ci' (or 'npm install') in the tsnas folder; sharp's prebuilt binaries come from the npm registry`,
      { cause: e },
    );
  }
  // One image per thread: the decoding process runs as many images at once as there are cores.
  sharpFn.concurrency(1);
  sharpFn.cache(false);
  return sharpFn;
}

/** Decodes one file; throws sharp's error (the caller names the file). */
export async function decodeImage(file: string, t: DecodeTarget): Promise<DecodedImage> {
  const sharp = loadSharp();
  const img: Sharp = sharp(file, { failOn: 'truncated', pages: 1, page: 0 });
  const meta = await img.metadata();
  const grey = meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0) === 1;
  let p = img.autoOrient().removeAlpha();
  p = t.channels === 1 ? p.toColourspace('b-w') : p.toColourspace('srgb');
  p = p.resize({ width: t.width, height: t.height, fit: t.resize === 'crop' ? 'cover' : 'fill', position: 'centre' });
  const { data, info } = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.width !== t.width || info.height !== t.height || info.channels !== t.channels) {
    throw new Error(
      `decoded to ${info.channels}x${info.height}x${info.width}, not ${t.channels}x${t.height}x${t.width}`,
    );
  }
  // HWC (interleaved) to CHW (planes).
  const plane = t.height * t.width;
  const pixels = new Uint8Array(t.channels * plane);
  if (t.channels === 1) pixels.set(data.subarray(0, plane));
  else {
    for (let k = 0, o = 0; k < plane; k++, o += 3) {
      pixels[k] = data[o]!;
      pixels[plane + k] = data[o + 1]!;
      pixels[2 * plane + k] = data[o + 2]!;
    }
  }
  return { pixels, converted: grey !== (t.channels === 1) };
}
