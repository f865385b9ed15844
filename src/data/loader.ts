// Batches from an in-memory ImageSet: images stay uint8 in memory; per batch they are gathered
// and randomly cropped in the same copy (one row copy per image row), moved to the engine, then
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
    const pad = this.o.cropPadding ?? 0;
    const offsets =
      pad > 0 ? Array.from({ length: n }, () => [rng.int(2 * pad + 1), rng.int(2 * pad + 1)] as const) : null;
    // Gather (and random-crop) while copying: one row copy per image row, black where the crop
    // reaches into the padding (as torchvision's RandomCrop(padding) before Normalize).
    const pixels = new Uint8Array(n * per);
    const labels = new BigInt64Array(n);
    for (let k = 0; k < n; k++) {
      const i = ids[k]!;
      labels[k] = BigInt(s.labels[i]!);
      if (offsets) cropInto(pixels, k * per, s, i * per, offsets[k]![0] - pad, offsets[k]![1] - pad);
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
