// fbnet-s-baseline on Fashion-MNIST: test accuracy after 1, 5 and 15 epochs of one 15-epoch
// schedule, and the time per epoch. The run checkpoints and is resumed with a larger epoch
// budget at each milestone, so the three figures come from the same training run. Run by
// `tsnas bench baseline` (src/cli/commands/bench.ts).
import { loadDataSource } from '../src/data/dataSource';
import { resolveArchitecture } from '../src/space/registry';
import { loadRecipe } from '../src/train/recipe';
import { hasCheckpoint, loadCheckpoint } from '../src/train/checkpoint';
import { dispose } from '../src/engine/memory';
import { trainArchitecture } from '../src/train/trainArchitecture';

export interface Milestone {
  epoch: number;
  testAcc: number;
  valAcc: number;
  secondsPerEpoch: number;
  imgPerSec: number;
}

export function runBaselineAccuracy(o: {
  data: string;
  recipe?: string;
  milestones: number[];
  dir: string;
  threads: number;
  onLine?: (s: string) => void;
}): Milestone[] {
  const { space, arch } = resolveArchitecture('fbnet-s-baseline', 'fbnet-s');
  const data = loadDataSource(o.data);
  const total = Math.max(...o.milestones);
  const recipe = loadRecipe(o.recipe, { epochs: total });
  const out: Milestone[] = [];
  // A resumed run cannot go back: milestones its checkpoint has passed are skipped (and said so).
  let done = 0;
  if (hasCheckpoint(o.dir)) {
    const ck = loadCheckpoint(o.dir);
    done = ck.state.epoch;
    for (const g of Object.values(ck.groups)) dispose(g);
  }
  for (const m of [...o.milestones].sort((a, b) => a - b)) {
    if (m < done) {
      o.onLine?.(`skipping the ${m}-epoch milestone: the run in ${o.dir} has finished ${done} epochs`);
      continue;
    }
    const r = trainArchitecture({
      space,
      spaceRef: 'fbnet-s',
      arch,
      recipe,
      data,
      stopAfterEpochs: m,
      test: true,
      checkpointDir: o.dir,
      threads: o.threads,
      onEpoch: (e) =>
        o.onLine?.(
          `epoch ${e.epoch}/${total}: loss ${e.loss.toFixed(4)}, val ${(100 * e.valAcc).toFixed(2)}%, ${e.seconds.toFixed(1)} s, ${e.imgPerSec.toFixed(0)} img/s`,
        ),
    });
    if (r.status !== 'complete') throw new Error(`baseline training failed: ${r.error}`);
    const fresh = r.epochs.slice(r.resumedFrom);
    const secs = fresh.map((e) => e.seconds);
    const ips = fresh.map((e) => e.imgPerSec);
    out.push({
      epoch: m,
      testAcc: r.testAcc!,
      valAcc: r.valAcc,
      secondsPerEpoch: secs.reduce((a, b) => a + b, 0) / Math.max(secs.length, 1),
      imgPerSec: ips.reduce((a, b) => a + b, 0) / Math.max(ips.length, 1),
    });
    o.onLine?.(`after ${m} epochs: test accuracy ${(100 * r.testAcc!).toFixed(2)}%`);
  }
  return out;
}
