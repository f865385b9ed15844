// An in-memory image classification set: uint8 pixels, NCHW per image, one label byte each.
export interface ImageSet {
  /** e.g. 'fashion-mnist/train' */
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  channels: number;
  height: number;
  width: number;
  classes: number;
}

/** Train and test splits of a named data set, with what augmentation suits it. */
export interface DataSource {
  /** The name as given on the command line, e.g. 'cifar10:/data/cifar'. */
  spec: string;
  kind: string;
  train: ImageSet;
  test: ImageSet;
  /** Per-channel mean and standard deviation of the training images in [0, 1]. */
  mean: number[];
  std: number[];
  /** Horizontal flips preserve the class (clothing, objects), not for digits. */
  flipByDefault: boolean;
  /** The crop augmentation that suits the data when the recipe names none (absent: 'pad'). */
  defaultCrop?: 'pad' | 'random-resized';
  classNames: string[];
  /** How image files were fitted to the input (image folders and manifests; absent: 'crop'). */
  resize?: 'crop' | 'squash';
  /** What to say once about how the data was read (conversions, files left out, the test split). */
  notes?: string[];
  /** Data decoded from image files: how many were decoded by this load (0: all from the cache), the cache, what was left out. */
  imageFiles?: { decoded: number; cacheFile: string | null; skipped: Array<{ file: string; reason: string }> };
}

export function imageBytes(s: Pick<ImageSet, 'channels' | 'height' | 'width'>): number {
  return s.channels * s.height * s.width;
}

/** Per-channel mean and std over a set (a one-off pass at load time, not on the training path). */
export function channelStats(s: ImageSet): { mean: number[]; std: number[] } {
  const plane = s.height * s.width;
  const sum = new Float64Array(s.channels);
  const sq = new Float64Array(s.channels);
  const per = imageBytes(s);
  for (let i = 0; i < s.count; i++) {
    for (let c = 0; c < s.channels; c++) {
      const base = i * per + c * plane;
      let a = 0;
      let b = 0;
      for (let k = 0; k < plane; k++) {
        const v = s.images[base + k]!;
        a += v;
        b += v * v;
      }
      sum[c]! += a;
      sq[c]! += b;
    }
  }
  const n = s.count * plane * 255;
  const mean = Array.from(sum, (v) => v / n);
  const std = Array.from(sq, (v, c) => Math.sqrt(Math.max(v / (n * 255) - mean[c]! ** 2, 1e-12)));
  return { mean, std };
}
