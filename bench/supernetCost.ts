// What an FBNet search step costs against training one network: fbnet-s on 1x28x28 inputs,
// batch 64, one step = forward + backward + SGD (momentum) on the weights, channels_last, for
//   - the soft supernet (all 9 candidates of every layer run, the paper's form),
//   - the hard supernet (straight-through: one sampled candidate per layer runs),
//   - a single standalone network of a sampled architecture (uniform over the space, seed 0),
//   - the fbnet-s-baseline network (k3_e6 almost everywhere), for scale.
// Each variant runs in a fresh process (so peak RSS is its own) and the order alternates over
// rounds; reported: median step time over rounds (each round's figure a median of its steps),
// the best round (least disturbed when the machine is shared),
// and peak RSS (max resident set of that process) minus the process's RSS before the model was built.
//   node dist/bench/supernetCost.js [--steps 12] [--warmup 3] [--batch 64] [--threads 2] [--rounds 2]
import { manualSeed, randint, randn } from '../src/engine/creation';
import { dispose, keep } from '../src/engine/memory';
import { setNumThreads } from '../src/engine/runtime';
import type { Tensor } from '../src/engine/tensor';
import { buildNetwork } from '../src/builder/buildNetwork';
import { archCost } from '../src/cost/netCost';
import type { Module } from '../src/nn/module';
import { SGD } from '../src/optim/sgd';
import { formatArch, parseArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { flopsCandidateCosts } from '../src/supernet/candidateCosts';
import { Supernet } from '../src/search/fbnet/supernet';
import { supernetLayout } from '../src/supernet/layout';
import { sampleArchitectures } from '../src/supernet/pathSampling';
import { arg } from './args';
import { childOrParent, runVariants, timeSteps } from './stepCost';
import { upperMedian as median } from '../src/stats';

const VARIANTS = ['soft', 'hard', 'network', 'baseline'] as const;
type Variant = (typeof VARIANTS)[number];
const INPUT = [1, 28, 28] as const;
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

interface Measurement {
  variant: Variant;
  what: string;
  stepMs: number;
  stepMsP25: number;
  stepMsP75: number;
  peakRssMiB: number;
  baseRssMiB: number;
  params: number;
  macs: number;
}

function child(variant: Variant): Measurement {
  const steps = Number(arg('steps', '12'));
  const warmup = Number(arg('warmup', '3'));
  const batch = Number(arg('batch', '64'));
  setNumThreads(Number(arg('threads', '2')));
  const space = loadSpace('fbnet-s');
  const costs = flopsCandidateCosts(space, INPUT, 10, { unit: 'kMAC' });
  manualSeed(0);
  const x = keep(randn([batch, ...INPUT]).contiguous('channels_last'));
  const y = keep(randint(0, 10, [batch]));
  const baseRssMiB = rssMiB();
  let model: Module;
  let what: string;
  let macs: number;
  let weights: Tensor[];
  let forward: () => Tensor;
  if (variant === 'soft' || variant === 'hard') {
    const sn = new Supernet(space, { costs, input: INPUT, classes: 10, hard: variant === 'hard' });
    sn.setTrainable(true, false);
    model = sn;
    weights = sn.weightParameters();
    what = `${variant} supernet, 9 layers x 9 candidates`;
    macs = costs.perLayer.flat().reduce((a, b) => a + b, costs.fixed) * 1e3;
    forward = () => sn.forwardWithCost(x).logits;
  } else {
    const arch =
      variant === 'network'
        ? sampleArchitectures(
            space,
            supernetLayout(space, INPUT, 10).layers.map((l) => l.candidates.map(() => 1 / l.candidates.length)),
            1,
            0,
          )[0]!.arch
        : parseArch(space, space.architectures['fbnet-s-baseline']!);
    const net = buildNetwork(space, arch, { input: INPUT, classes: 10 });
    model = net;
    weights = net.parameters();
    what = `${variant === 'network' ? 'sampled' : 'baseline'} network ${formatArch(space, arch)}`;
    macs = archCost(space, arch, { input: INPUT, classes: 10 }).flops;
    forward = () => net.forward(x);
  }
  model.to({ memoryFormat: 'channels_last' }).train();
  const opt = new SGD(weights, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const times = timeSteps({ forward: () => ({ logits: forward() }), labels: y, optimizer: opt, steps, warmup });
  const params = weights.reduce((n, t) => n + t.size, 0);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  opt.dispose();
  model.dispose();
  dispose([x, y]);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    variant,
    what,
    stepMs: median(times),
    stepMsP25: sorted[Math.floor(0.25 * (sorted.length - 1))]!,
    stepMsP75: sorted[Math.ceil(0.75 * (sorted.length - 1))]!,
    peakRssMiB,
    baseRssMiB,
    params,
    macs,
  };
}

function parent(): void {
  const rounds = Number(arg('rounds', '2'));
  const runs = runVariants<Variant, Measurement>(
    VARIANTS,
    rounds,
    ['steps', 'warmup', 'batch', 'threads'],
    (m) => `${m.stepMs.toFixed(1)} ms/step, peak RSS ${m.peakRssMiB.toFixed(0)} MiB`,
  );
  const summary = VARIANTS.map((v) => {
    const ms = runs.get(v)!;
    return {
      variant: v,
      what: ms[0]!.what,
      params: ms[0]!.params,
      macs: ms[0]!.macs,
      stepMs: median(ms.map((m) => m.stepMs)),
      stepMsBest: Math.min(...ms.map((m) => m.stepMs)),
      stepMsRounds: ms.map((m) => Number(m.stepMs.toFixed(2))),
      peakRssMiB: median(ms.map((m) => m.peakRssMiB)),
      modelRssMiB: median(ms.map((m) => m.peakRssMiB - m.baseRssMiB)),
    };
  });
  const net = summary.find((s) => s.variant === 'network')!;
  const batch = arg('batch', '64');
  console.log(
    `fbnet-s, input 1x28x28, batch ${batch}, ${arg('threads', '2')} threads, channels_last; step = forward + backward + SGD (momentum) on the weights; median over ${rounds} round(s), each a median of its steps`,
  );
  console.log(
    [
      'variant',
      'step ms (median)',
      'best round',
      'x network (best)',
      'peak RSS MiB',
      'RSS over base MiB',
      'params',
      'MMAC/img',
      'what',
    ].join(' | '),
  );
  for (const s of summary) {
    console.log(
      [
        s.variant,
        s.stepMs.toFixed(1),
        s.stepMsBest.toFixed(1),
        (s.stepMsBest / net.stepMsBest).toFixed(1),
        s.peakRssMiB.toFixed(0),
        s.modelRssMiB.toFixed(0),
        String(s.params),
        (s.macs / 1e6).toFixed(2),
        s.what,
      ].join(' | '),
    );
  }
  console.log(
    JSON.stringify({
      bench: 'supernetCost',
      space: 'fbnet-s',
      input: INPUT,
      batch: Number(batch),
      rounds,
      results: summary,
    }),
  );
}

childOrParent(VARIANTS, child, parent);
