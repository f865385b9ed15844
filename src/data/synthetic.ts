// A synthetic image set for tests and quick runs: each class is a fixed random template (smooth
// blobs), each image its template plus a random shift and noise. Deterministic for a seed, learnable,
// not trivially separable by one pixel.
import { Rng } from '../random/rng';
import { channelStats, type DataSource, type ImageSet } from './imageSet';

export interface SyntheticOptions {
  seed: number;
  train?: number;
  test?: number;
  channels?: number;
  size?: number;
  classes?: number;
  noise?: number;
}

function templates(rng: Rng, classes: number, channels: number, size: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let k = 0; k < classes; k++) {
    const t = new Float32Array(channels * size * size);
    for (let blob = 0; blob < 3; blob++) {
      const cy = rng.next() * size;
      const cx = rng.next() * size;
      const r = size * (0.12 + 0.15 * rng.next());
      const amp = rng.next() < 0.5 ? 1 : -1;
      for (let c = 0; c < channels; c++) {
        const ca = amp * (0.5 + 0.5 * rng.next());
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            t[(c * size + y) * size + x]! += ca * Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r));
          }
        }
      }
    }
    out.push(t);
  }
  return out;
}

function draw(
  rng: Rng,
  tpl: Float32Array[],
  count: number,
  channels: number,
  size: number,
  noise: number,
  name: string,
): ImageSet {
  const per = channels * size * size;
  const images = new Uint8Array(count * per);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const k = i % tpl.length;
    labels[i] = k;
    const t = tpl[k]!;
    const dy = rng.int(5) - 2;
    const dx = rng.int(5) - 2;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < size; y++) {
        const sy = Math.min(size - 1, Math.max(0, y + dy));
        for (let x = 0; x < size; x++) {
          const sx = Math.min(size - 1, Math.max(0, x + dx));
          const v = 128 + 80 * t[(c * size + sy) * size + sx]! + noise * 40 * rng.normal();
          images[i * per + (c * size + y) * size + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
  }
  return { name, images, labels, count, channels, height: size, width: size, classes: tpl.length };
}

export function loadSynthetic(o: SyntheticOptions, spec = `synthetic:${o.seed}`): DataSource {
  const rng = new Rng(o.seed);
  const channels = o.channels ?? 1;
  const size = o.size ?? 16;
  const tpl = templates(rng, o.classes ?? 10, channels, size);
  const noise = o.noise ?? 1;
  const train = draw(rng.fork(), tpl, o.train ?? 2000, channels, size, noise, 'synthetic/train');
  const test = draw(rng.fork(), tpl, o.test ?? 500, channels, size, noise, 'synthetic/test');
  return {
    spec,
    kind: 'synthetic',
    train,
    test,
    ...channelStats(train),
    flipByDefault: false,
    classNames: tpl.map((_, k) => String(k)),
  };
}
