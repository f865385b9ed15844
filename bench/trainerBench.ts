// The trainer benchmark: one epoch of ref-mbconv (1 channel) on Fashion-MNIST through the real
// trainer (loader, augmentation, optimizer), reporting training images/s. bench/trainer_torch.py
// does the same in PyTorch. Run by `tsnas bench trainer` (src/cli/commands/bench.ts).
import { loadDataSource } from '../src/data/dataSource';
import { manualSeed } from '../src/engine/creation';
import { refMbconv } from '../src/models/refMbconv';
import { parseRecipe } from '../src/train/recipe';
import { train } from '../src/train/trainer';

export interface TrainerBenchResult {
  imgPerSec: number;
  seconds: number;
  images: number;
}

export function runTrainerBench(o: {
  data: string;
  limit: number;
  batch: number;
  threads: number;
}): TrainerBenchResult {
  const data = loadDataSource(o.data);
  manualSeed(0);
  const model = refMbconv(data.train.classes, data.train.channels);
  const recipe = parseRecipe({
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 4e-5,
    schedule: 'constant',
    epochs: 1,
    batchSize: o.batch,
    cropPadding: 2,
    flip: true,
    valFraction: 0,
  });
  const r = train({ model, recipe, data, limitTrain: o.limit, threads: o.threads, memoryFormat: 'channels_last' });
  model.dispose();
  if (r.status !== 'complete') throw new Error(`trainer benchmark failed: ${r.error}`);
  const e = r.epochs[0]!;
  return { imgPerSec: e.imgPerSec, seconds: e.seconds, images: Math.round(e.imgPerSec * e.seconds) };
}
