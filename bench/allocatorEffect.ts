// What the allocator setting does to a training step (native/src/allocator.cc): the same loop of
// ref-mbconv training steps on Fashion-MNIST (1 thread, channels_last, SGD) in fresh processes,
// alternately with malloc set to keep freed memory ('retain', the default) and with glibc's
// defaults (TSNAS_MALLOC=default). CPU time per batch and minor page faults are reported rather
// than wall time: on a shared machine they barely move with the neighbours' load.
//
//   node dist/bench/allocatorEffect.js [--rounds 2] [--images 2560] [--batch 128]
import { execFileSync } from 'node:child_process';
import { arg } from './args';

const images = Number(arg('images', '2560'));
const batch = Number(arg('batch', '128'));

interface ChildResult {
  allocator: string;
  batches: number;
  cpuMsPerBatch: number;
  minorFaultsPerBatch: number;
  maxRssMB: number;
}

function child(): void {
  // Loaded here so that the parent never loads the engine (its allocator setting is per process).
  const E = require('../src/engine') as typeof import('../src/engine');
  const { loadDataSource, BatchLoader, disposeBatch } = require('../src/data') as typeof import('../src/data');
  const { refMbconv } = require('../src/models/refMbconv') as typeof import('../src/models/refMbconv');
  const { crossEntropy } = require('../src/nn/functional') as typeof import('../src/nn/functional');
  const { SGD } = require('../src/optim/sgd') as typeof import('../src/optim/sgd');
  E.setNumThreads(1);
  E.manualSeed(0);
  const data = loadDataSource('fashion-mnist');
  const model = refMbconv(10, 1).to({ memoryFormat: 'channels_last' });
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 4e-5 });
  const loader = new BatchLoader(
    data.train,
    Int32Array.from({ length: images }, (_, i) => i),
    {
      batchSize: batch,
      shuffle: true,
      seed: 0,
      dropLast: true,
      mean: data.mean,
      std: data.std,
      memoryFormat: 'channels_last',
      cropPadding: 2,
      flip: true,
    },
  );
  const c0 = process.cpuUsage();
  const f0 = process.resourceUsage().minorPageFault;
  let n = 0;
  for (const b of loader.epoch(0)) {
    E.tidy(() => {
      model.zeroGrad();
      crossEntropy(model.forward(b.x), b.y).backward();
    });
    opt.step();
    disposeBatch(b);
    n++;
  }
  const c = process.cpuUsage(c0);
  const r: ChildResult = {
    allocator: E.runtimeInfo().allocator,
    batches: n,
    cpuMsPerBatch: (c.user + c.system) / 1000 / n,
    minorFaultsPerBatch: (process.resourceUsage().minorPageFault - f0) / n,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(r));
}

function parent(): void {
  const rounds = Number(arg('rounds', '2'));
  const runs: ChildResult[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ['default', 'retain'] : ['retain', 'default'];
    for (const mode of order) {
      const env = { ...process.env, ...(mode === 'default' ? { TSNAS_MALLOC: 'default' } : {}) };
      if (mode === 'retain') delete env.TSNAS_MALLOC;
      const out = execFileSync(
        process.execPath,
        [__filename, '--child', '--images', String(images), '--batch', String(batch)],
        { env, encoding: 'utf8' },
      );
      const res = JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult;
      runs.push(res);
      console.log(
        `round ${r + 1}/${rounds} ${res.allocator.padEnd(7)} CPU ${res.cpuMsPerBatch.toFixed(1)} ms/batch, ${res.minorFaultsPerBatch.toFixed(0)} minor faults/batch, max RSS ${res.maxRssMB.toFixed(0)} MB`,
      );
    }
  }
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const of = (a: string) => runs.filter((x) => x.allocator === a);
  const summary = Object.fromEntries(
    ['retain', 'default'].map((a) => [
      a,
      {
        cpuMsPerBatch: med(of(a).map((x) => x.cpuMsPerBatch)),
        minorFaultsPerBatch: med(of(a).map((x) => x.minorFaultsPerBatch)),
        maxRssMB: med(of(a).map((x) => x.maxRssMB)),
      },
    ]),
  );
  console.log(JSON.stringify({ bench: 'allocatorEffect', images, batch, rounds, ...summary }));
}

if (process.argv.includes('--child')) child();
else parent();
