// The engine benchmark: trains ref-mbconv on random data and reports throughput and memory.
// Run by `tsnas bench engine` (src/cli/commands/bench.ts); bench/compareEngine.ts sets it beside PyTorch.
import { manualSeed, randint, randn } from '../src/engine/creation';
import { dispose, keep, memory, tidy } from '../src/engine/memory';
import { setNumThreads } from '../src/engine/runtime';
import type { MemoryFormat } from '../src/engine/tensor';
import { refMbconv } from '../src/models/refMbconv';
import { crossEntropy } from '../src/nn/functional';
import { SGD } from '../src/optim/sgd';
import { upperMedian } from '../src/stats';

export interface EngineBenchOptions {
  steps: number;
  warmup: number;
  batch: number;
  threads: number;
  memoryFormat: MemoryFormat;
  seed: number;
  onStep?: (step: number, ms: number) => void;
}

export interface EngineBenchResult {
  imgPerSec: number;
  msPerStep: number;
  rssMBAfterWarmup: number;
  rssMBEnd: number;
  liveTensors: number;
}

const rssMB = () => process.memoryUsage.rss() / 2 ** 20;

export function runEngineBench(o: EngineBenchOptions): EngineBenchResult {
  setNumThreads(o.threads);
  manualSeed(o.seed);
  const before = memory().liveTensors;
  const model = refMbconv(10).to({ memoryFormat: o.memoryFormat }).train();
  const opt = new SGD(model.parameters(), { lr: 0.05 });
  const x = keep(tidy(() => randn([o.batch, 3, 32, 32]).to({ memoryFormat: o.memoryFormat })));
  const y = keep(randint(0, 10, [o.batch]));
  const times: number[] = [];
  let rssAfterWarmup = 0;
  for (let step = 0; step < o.warmup + o.steps; step++) {
    if (step === o.warmup) rssAfterWarmup = rssMB();
    const t0 = process.hrtime.bigint();
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(model.forward(x), y).backward();
      opt.step();
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (step >= o.warmup) times.push(ms);
    o.onStep?.(step, ms);
  }
  const rssEnd = rssMB();
  dispose([x, y]);
  opt.dispose();
  model.dispose();
  const msPerStep = upperMedian(times);
  return {
    imgPerSec: (o.batch * 1000) / msPerStep,
    msPerStep,
    rssMBAfterWarmup: round(rssAfterWarmup),
    rssMBEnd: round(rssEnd),
    liveTensors: memory().liveTensors - before,
  };
}

const round = (v: number) => Math.round(v * 10) / 10;
