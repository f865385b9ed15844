// Learning-rate schedules against torch.optim.lr_scheduler (test/fixtures/optim.json, written by
// test/fixtures/make_nn_fixtures.py): CosineAnnealingLR, StepLR, ExponentialLR, and LinearLR
// warm-up followed by cosine (SequentialLR), per epoch and per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keep, tensor, tidy } from '../../src/engine';
import { LrScheduler, SGD, learningRateAt, type ScheduleSpec, type WarmupSpec } from '../../src/optim';
import { noLeaks } from '../helpers/leakCheck';

interface ScheduleCase {
  name: string;
  schedule: ScheduleSpec;
  warmup?: WarmupSpec;
  /** Scheduler steps per epoch in PyTorch: value i is the rate at t = i / perEpoch. */
  perEpoch: number;
  lrs: number[];
}
const FX = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/optim.json'), 'utf8')) as {
  schedules: { baseLr: number; cases: ScheduleCase[] };
};
const BASE = FX.schedules.baseLr;
const CASES = FX.schedules.cases;

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

const close = (a: number, e: number, what: string) =>
  assert.ok(Math.abs(a - e) <= 1e-12 + 1e-9 * Math.abs(e), `${what}: tsnas ${a} vs PyTorch ${e}`);

test(
  'the fixture covers every schedule kind',
  leakFree(() => {
    const names = CASES.map((c) => c.name);
    for (const n of ['cosine', 'cosine_per_step', 'step', 'exponential', 'warmup_cosine', 'warmup_cosine_per_step'])
      assert.ok(names.includes(n), n);
  }),
);

for (const c of CASES) {
  test(
    `learningRateAt matches PyTorch: ${c.name}`,
    leakFree(() => {
      assert.ok(c.lrs.length > 10);
      c.lrs.forEach((expected, i) => {
        const t = i / c.perEpoch;
        close(learningRateAt(t, BASE, c.schedule, c.warmup), expected, `${c.name} at t=${t}`);
      });
    }),
  );
}

test(
  'conventions where tsnas documents its own formula',
  leakFree(() => {
    // Cosine past its last epoch: PyTorch's CosineAnnealingLR is periodic and climbs back up; tsnas
    // clamps progress to [0, 1] (documented in schedule.ts), so the rate stays at minLr.
    const cos: ScheduleSpec = { kind: 'cosine', epochs: 10, minLr: 0.002 };
    close(learningRateAt(10, BASE, cos), 0.002, 'cosine at the end');
    close(learningRateAt(15, BASE, cos), 0.002, 'cosine past the end');
    close(learningRateAt(-1, BASE, cos), BASE, 'cosine before the start');
    // Exponential decays per whole epoch (FBNetV3's 0.963/epoch), constant within an epoch.
    const exp: ScheduleSpec = { kind: 'exponential', gamma: 0.963 };
    close(learningRateAt(2.75, BASE, exp), learningRateAt(2, BASE, exp), 'exponential within an epoch');
    close(learningRateAt(3, BASE, exp), BASE * 0.963 ** 3, 'exponential at epoch 3');
    // Step decays at multiples of stepEpochs, measured after the warm-up.
    const step: ScheduleSpec = { kind: 'step', stepEpochs: 2, gamma: 0.1 };
    close(learningRateAt(1.99, BASE, step), BASE, 'step before the first decay');
    close(learningRateAt(2, BASE, step), BASE * 0.1, 'step at the first decay');
    close(learningRateAt(6, BASE, step, { epochs: 2 }), BASE * 0.01, 'step counts epochs after warm-up');
    // Warm-up: linear from startFactor * base (default 0.01) to base at t = warm-up epochs.
    close(learningRateAt(0, BASE, { kind: 'constant' }, { epochs: 5 }), BASE * 0.01, 'default warm-up start');
    close(
      learningRateAt(2.5, BASE, { kind: 'constant' }, { epochs: 5, startFactor: 0.2 }),
      BASE * 0.6,
      'warm-up midway',
    );
    close(learningRateAt(5, BASE, { kind: 'constant' }, { epochs: 5 }), BASE, 'warm-up end');
    close(learningRateAt(3.7, BASE, { kind: 'constant' }), BASE, 'constant');
  }),
);

test(
  'LrScheduler sets every group from its own base rate',
  leakFree(() => {
    const c = CASES.find((k) => k.name === 'warmup_cosine')!;
    const p = [keep(tensor([1])), keep(tensor([2]))];
    const opt = new SGD(
      [
        { params: [p[0]!], lr: BASE },
        { params: [p[1]!], lr: BASE / 10 },
      ],
      { momentum: 0.9 },
    );
    const sched = new LrScheduler(opt, c.schedule, c.warmup);
    assert.deepEqual(sched.baseLrs, [BASE, BASE / 10]);
    c.lrs.forEach((expected, epoch) => {
      const lr = sched.at(epoch);
      close(lr, expected, `group 0 at epoch ${epoch}`);
      close(opt.groups[0]!.lr, expected, `group 0 at epoch ${epoch}`);
      close(opt.groups[1]!.lr, expected / 10, `group 1 at epoch ${epoch}`);
    });
    // Pure function of t: going back (a resumed run) gives the same rate again.
    close(sched.at(4), c.lrs[4]!, 'resumed');
    opt.dispose();
    for (const t of p) t.dispose();
  }),
);
