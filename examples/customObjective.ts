// Your own objective on a space defined in code.
//
// The space is an object (the fields of a space file), the objective an async function: it gets
// each trial's architecture, builds it as a network, trains it for a few steps on a task of its
// own (here: random 16x16 images labelled by a fixed random projection), reports the loss as it
// goes and returns the metrics. tsnas runs regularized evolution over the space, records every
// trial in an SQLite store, and answers with the best trial and the accuracy-FLOPs front.
//
//   node customObjective.js [STORE]        (default: studies.db beside the working directory)
import { createStudy, type TrialContext } from 'tsnas/search';
import { tidy, keep, dispose, randn, manualSeed, memory, nn, optim, type Tensor } from 'tsnas';

const space = {
  style: 'layerwise',
  name: 'tiny-in-code',
  description: 'three searchable layers of three candidates, 1x16x16 input',
  input: '1x16x16',
  classes: 4,
  e1FirstConv: 'keep',
  stem: { op: 'conv_k3', channels: 8, stride: 2 },
  candidates: ['ir_k3_e1', 'ir_k3_e3', 'skip'],
  stages: [
    { channels: 8, repeats: 1, stride: 1 },
    { channels: 16, repeats: 2, stride: 2 },
  ],
  head: { op: 'conv_k1', channels: 32 },
  pool: 'avg',
  classifier: { dropout: 0, bias: true },
};

// The task: the same images and labels for every trial (a fixed seed), kept out of the scopes.
manualSeed(1);
const projection = keep(randn([256, 4]));
const task = (n: number) =>
  keep(
    tidy(() => {
      const x = randn([n, 1, 16, 16]);
      return { x, y: x.flatten(1).matmul(projection).argmax(1) };
    }),
  );
const train = task(128);
const held = task(128);

async function objective(trial: TrialContext): Promise<Record<string, number>> {
  const net = await trial.network();
  // The network is tsnas's (disposed after the trial); the optimizer's momentum is ours to free.
  const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
  try {
    for (let step = 0; step < 24 && !trial.shouldStop(); step++) {
      const loss = tidy(() => {
        opt.zeroGrad();
        const l = nn.F.crossEntropy(net.forward(train.x), train.y);
        l.backward();
        opt.step();
        return l.item();
      });
      if (step % 8 === 7) trial.report(step, { loss });
    }
  } finally {
    opt.dispose();
  }
  net.eval();
  const accuracy = tidy(() => net.forward(held.x).argmax(1).eq(held.y).float().mean().item());
  return { accuracy };
}

async function main(): Promise<void> {
  const study = await createStudy({
    store: process.argv[2] ?? 'studies.db',
    name: 'custom-objective',
    space,
    strategy: 'evolution',
    strategyOptions: { population: 4, sampleSize: 2 },
    evaluator: objective,
    trials: 10,
    seed: 3,
    loadIfExists: true,
  });
  try {
    await study.optimize();
    const best = study.bestTrial!;
    const front = study.paretoFront({ cost: 'flops' });
    console.log(`best: trial ${best.number} ${best.arch} accuracy ${(100 * best.metrics.accuracy!).toFixed(1)}%`);
    console.log(
      `front: ${front.map((t) => `${t.costs.flops} FLOPs ${(100 * t.metrics.accuracy!).toFixed(1)}%`).join(', ')}`,
    );
    console.log(
      JSON.stringify({
        trials: study.trials({ state: 'complete' }).length,
        best: best.metrics.accuracy,
        front: front.map((t) => t.number),
        reports: best.epochs.length,
      }),
    );
  } finally {
    study.close();
    dispose([projection, train.x, train.y, held.x, held.y] as Tensor[]);
  }
  if (memory().liveTensors !== 0) throw new Error(`${memory().liveTensors} tensors left alive`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
