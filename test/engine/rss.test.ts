// Resident memory stays flat over a long training loop: every step's tensors (inputs, activations,
// gradients' handles, optimizer temporaries) are freed by tidy(), and nothing accumulates natively.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { manualSeed, memory, randint, randn, tidy } from '../../src/engine';
import { BatchNorm2d, Conv2d, F, GlobalAvgPool, Linear, ReLU, Sequential } from '../../src/nn';
import { SGD } from '../../src/optim';
import { noLeaks } from '../helpers/leakCheck';

const STEPS = 3000;
const WARMUP = 300;
const SLACK_MB = 20;

const rssMB = () => process.memoryUsage.rss() / 2 ** 20;

test(
  `${STEPS} synchronous training steps keep resident memory and live tensors flat`,
  noLeaks((t: TestContext) => {
    const liveAtStart = memory().liveTensors;
    manualSeed(0);
    const model = new Sequential(
      new Conv2d(3, 8, 3),
      new BatchNorm2d(8),
      ReLU(),
      new Conv2d(8, 16, 3, { stride: 2 }),
      new BatchNorm2d(16),
      ReLU(),
      new GlobalAvgPool(),
      new Linear(16, 10),
    );
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true });
    model.train();

    const step = (): number =>
      tidy(() => {
        opt.zeroGrad();
        const x = randn([16, 3, 8, 8]);
        const y = randint(0, 10, [16]);
        const loss = F.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        return loss.item();
      });

    const t0 = Date.now();
    let rssWarm = 0;
    let liveWarm = 0;
    let lastLoss = NaN;
    for (let i = 0; i < STEPS; i++) {
      if (i === WARMUP) {
        rssWarm = rssMB();
        liveWarm = memory().liveTensors;
      }
      // The loop never yields to the event loop (as the trainer's doesn't): handle bookkeeping must be
      // reclaimed by garbage collection itself, not by finalizers deferred to the event loop.
      lastLoss = step();
      // Between steps, only the model's and the optimizer's tensors are alive.
      if (i >= WARMUP && i % 100 === 0) assert.equal(memory().liveTensors, liveWarm, `live tensors at step ${i}`);
    }
    const rssEnd = rssMB();
    const seconds = (Date.now() - t0) / 1000;
    t.diagnostic(
      `rss ${rssWarm.toFixed(1)} MB after ${WARMUP} steps, ${rssEnd.toFixed(1)} MB after ${STEPS} (${seconds.toFixed(1)} s)`,
    );
    assert.ok(Number.isFinite(lastLoss), 'training stays finite');
    assert.equal(memory().liveTensors, liveWarm, 'live tensors after the loop');
    assert.ok(
      rssEnd - rssWarm < SLACK_MB,
      `resident memory grew by ${(rssEnd - rssWarm).toFixed(1)} MB over ${STEPS - WARMUP} steps ` +
        `(${rssWarm.toFixed(1)} MB after warm-up, ${rssEnd.toFixed(1)} MB at the end)`,
    );
    // Model parameters and buffers, and one momentum buffer per parameter.
    assert.equal(liveWarm - liveAtStart, model.stateDict().size + model.parameters().length);

    opt.dispose();
    model.dispose();
    assert.equal(memory().liveTensors, liveAtStart, 'everything freed');
  }),
);
