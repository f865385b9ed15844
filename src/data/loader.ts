// Batches from an in-memory ImageSet: images stay uint8 in memory; per batch they are gathered
// and randomly cropped in the same copy (one row copy per image row; a random-resized crop is
// resampled bilinearly from the uint8 pixels into the batch), moved to the engine, then
// augmented there with whole-batch tensor ops: horizontal flip, normalisation, resizing, mixup. Order and
// augmentation draws come from a seeded generator per epoch, so epoch e is the same batch
// sequence whether the run is fresh or resumed.
import { tensor, where } from '../engine/creation';
import { keep, tidy } from '../engine/memory';
import { Tensor, type MemoryFormat } from '../engine/tensor';
import { interpolate } from '../nn/functional';
import { Rng } from '../random/rng';
import { imageBytes, type ImageSet } from './imageSet';

export interface AugmentOptions {
  /** Random crop after zero padding by this many pixels (0 = off). */
  cropPadding?: number;
  /**
   * Random-resized crop instead (timm's RandomResizedCrop, torchvision's parameters): a region of
   * `scale` of the image's area and aspect ratio in `ratio` (log-uniform), resized back to the
   * image's size (bilinear).
   */
  randomResizedCrop?: { scale: readonly [number, number]; ratio: readonly [number, number] } | null;
  /** Random horizontal flip with probability 0.5. */
  flip?: boolean;
  /** Mixup alpha (0 = off): x = lam x + (1 - lam) x[perm], lam ~ Beta(alpha, alpha). */
  mixup?: number;
}

export interface LoaderOptions extends AugmentOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** Drop a last partial batch (training) or keep it (evaluation). */
  dropLast?: boolean;
  /** Per-channel mean/std in [0, 1] pixel units. */
  mean: number[];
  std: number[];
  /** Output spatial size (resolution search); default the images' own. */
  resize?: number;
  device?: string;
  memoryFormat?: MemoryFormat;
}

export interface Batch {
  /** float32 [B, C, H, W] */
  x: Tensor;
  /** int64 class labels [B] */
  y: Tensor;
  /** Mixed soft targets [B, classes] when mixup is on. */
  target: Tensor | null;
  size: number;
}

export function disposeBatch(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
  b.target?.dispose();
}

export class BatchLoader {
  readonly #mean: Tensor;
  readonly #std: Tensor;

  constructor(
    readonly set: ImageSet,
    readonly indices: Int32Array,
    readonly o: LoaderOptions,
  ) {
    if (o.batchSize < 1) throw new Error(`batch size must be positive, got ${o.batchSize}`);
    if (o.mean.length !== set.channels || o.std.length !== set.channels) {
      throw new Error(`${set.name}: normalisation has ${o.mean.length} channels, the images ${set.channels}`);
    }
    const dev = { device: o.device ?? 'cpu' };
    this.#mean = keep(tensor(o.mean, [1, set.channels, 1, 1], dev));
    this.#std = keep(tensor(o.std, [1, set.channels, 1, 1], dev));
  }

  get batchesPerEpoch(): number {
    const n = this.indices.length / this.o.batchSize;
    return this.o.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The batches of one epoch; the caller disposes each (disposeBatch) or runs inside tidy. */
  *epoch(epoch: number): Generator<Batch> {
    const rng = new Rng((this.o.seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0);
    const order = Int32Array.from(this.indices);
    if (this.o.shuffle) rng.shuffle(order);
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      const ids = order.subarray(b * this.o.batchSize, Math.min((b + 1) * this.o.batchSize, order.length));
      yield this.makeBatch(ids, rng);
    }
  }

  /** One batch of the given set indices, with this loader's augmentation. */
  makeBatch(ids: Int32Array, rng: Rng): Batch {
    const s = this.set;
    const per = imageBytes(s);
    const n = ids.length;
    // Draw every random choice up front, in a fixed order, so results don't depend on which ops run.
    const rrc = this.o.randomResizedCrop ?? null;
    const pad = rrc ? 0 : (this.o.cropPadding ?? 0);
    const offsets =
      pad > 0 ? Array.from({ length: n }, () => [rng.int(2 * pad + 1), rng.int(2 * pad + 1)] as const) : null;
    const boxes = rrc ? Array.from({ length: n }, () => randomResizedBox(rng, s.height, s.width, rrc)) : null;
    // Gather (and random-crop) while copying: one row copy per image row, black where the crop
    // reaches into the padding (as torchvision's RandomCrop(padding) before Normalize).
    const pixels = new Uint8Array(n * per);
    const labels = new BigInt64Array(n);
    for (let k = 0; k < n; k++) {
      const i = ids[k]!;
      labels[k] = BigInt(s.labels[i]!);
      if (boxes) resizedCropInto(pixels, k * per, s, i * per, boxes[k]!);
      else if (offsets) cropInto(pixels, k * per, s, i * per, offsets[k]![0] - pad, offsets[k]![1] - pad);
      else pixels.set(s.images.subarray(i * per, (i + 1) * per), k * per);
    }
    const flips = this.o.flip ? Uint8Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0)) : null;
    const mixup = this.o.mixup ?? 0;
    const lam = mixup > 0 ? rng.beta(mixup, mixup) : 1;
    const perm = mixup > 0 ? rng.permutation(n) : null;
    const dev = this.o.device ?? 'cpu';

    return tidy(() => {
      let x = tensor(pixels, [n, s.channels, s.height, s.width], { device: dev }).float().div(255);
      if (flips) x = where(tensor(flips, [n, 1, 1, 1], { dtype: 'bool', device: dev }), x.flip(3), x);
      x = x.sub(this.#mean).div(this.#std);
      if (this.o.resize && (this.o.resize !== s.height || this.o.resize !== s.width)) x = interpolate(x, this.o.resize);
      const y = tensor(labels, [n], { device: dev });
      let target: Tensor | null = null;
      if (perm) {
        const p = tensor(perm, [n], { dtype: 'int64', device: dev });
        x = x.mul(lam).add(x.indexSelect(0, p).mul(1 - lam));
        const oh = y.oneHot(s.classes).float();
        target = oh.mul(lam).add(oh.indexSelect(0, p).mul(1 - lam));
      }
      if (this.o.memoryFormat === 'channels_last') x = x.to({ memoryFormat: 'channels_last' });
      return { x, y, target, size: n };
    });
  }

  dispose(): void {
    this.#mean.dispose();
    this.#std.dispose();
  }
}

/**
 * Copies image `src` of a set into `dst` shifted by (dy, dx): output pixel (y, x) is source pixel
 * (y + dy, x + dx), zero (black) outside the image. That is a crop of the zero-padded image.
 */
function cropInto(dst: Uint8Array, dstAt: number, s: ImageSet, srcAt: number, dy: number, dx: number): void {
  const { channels: c, height: h, width: w } = s;
  const x0 = Math.max(0, -dx);
  const x1 = Math.min(w, w - dx);
  if (x1 <= x0) return;
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let y = Math.max(0, -dy); y < Math.min(h, h - dy); y++) {
      const from = srcAt + plane + (y + dy) * w + x0 + dx;
      dst.set(s.images.subarray(from, from + (x1 - x0)), dstAt + plane + y * w + x0);
    }
  }
}

/** A crop box: top row, left column, height, width. */
export type CropBox = readonly [number, number, number, number];

/**
 * torchvision's RandomResizedCrop.get_params: up to 10 tries of an area fraction in `scale` and a
 * log-uniform aspect ratio in `ratio` that fit the image, else the centre crop of the ratio clamped
 * to the range. Uses exactly 4 draws per try.
 */
export function randomResizedBox(
  rng: Rng,
  height: number,
  width: number,
  o: { scale: readonly [number, number]; ratio: readonly [number, number] },
): CropBox {
  const area = height * width;
  const logLo = Math.log(o.ratio[0]);
  const logHi = Math.log(o.ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (o.scale[0] + (o.scale[1] - o.scale[0]) * rng.next());
    const aspect = Math.exp(logLo + (logHi - logLo) * rng.next());
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    const u = rng.next();
    const v = rng.next();
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return [Math.floor(u * (height - h + 1)), Math.floor(v * (width - w + 1)), h, w];
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(o.ratio[0], o.ratio[1])) h = Math.round(w / Math.min(o.ratio[0], o.ratio[1]));
  else if (inRatio > Math.max(o.ratio[0], o.ratio[1])) w = Math.round(h * Math.max(o.ratio[0], o.ratio[1]));
  return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
}

/**
 * Resamples the box of image `src` to the whole image size into `dst`, bilinearly (half-pixel
 * centres, as interpolate's align_corners=false), in integer arithmetic on the uint8 pixels.
 */
function resizedCropInto(dst: Uint8Array, dstAt: number, s: ImageSet, srcAt: number, box: CropBox): void {
  const { channels: c, height: H, width: W } = s;
  const [top, left, h, w] = box;
  const src = s.images;
  // Per output column and row: the two source indices and the weight of the second, in 1/256.
  const x0 = new Int32Array(W);
  const x1 = new Int32Array(W);
  const wx = new Int32Array(W);
  for (let x = 0; x < W; x++) {
    const f = Math.min(Math.max((x + 0.5) * (w / W) - 0.5, 0), w - 1);
    const a = Math.floor(f);
    x0[x] = left + a;
    x1[x] = left + Math.min(a + 1, w - 1);
    wx[x] = Math.round((f - a) * 256);
  }
  for (let y = 0; y < H; y++) {
    const f = Math.min(Math.max((y + 0.5) * (h / H) - 0.5, 0), h - 1);
    const a = Math.floor(f);
    const r0 = (top + a) * W;
    const r1 = (top + Math.min(a + 1, h - 1)) * W;
    const wy = Math.round((f - a) * 256);
    for (let ch = 0; ch < c; ch++) {
      const plane = srcAt + ch * H * W;
      const row0 = plane + r0;
      const row1 = plane + r1;
      const out = dstAt + ch * H * W + y * W;
      for (let x = 0; x < W; x++) {
        const ax = wx[x]!;
        const top0 = src[row0 + x0[x]!]! * (256 - ax) + src[row0 + x1[x]!]! * ax;
        const bot0 = src[row1 + x0[x]!]! * (256 - ax) + src[row1 + x1[x]!]! * ax;
        dst[out + x] = (top0 * (256 - wy) + bot0 * wy + 32768) >> 16;
      }
    }
  }
}
