// What a one-shot supernet's training step costs against one network's (issue 13: one path vs
// several branches): nse-s (19 ops per layer, 6 layers) on 1x28x28 inputs, batch 64, one step =
// forward + backward + SGD (momentum 0.9, weight decay 1e-4) on the weights, channels_last, for
//   - network: one path of the space (a uniform single-op path, seed 0) built as a normal network,
//   - spos:    the SPOS supernet over the whole pool stepping that same path (the other ops get no
//              gradient, so the optimizer skips them),
//   - nse:     NSE's gated supernet over a round's subset (the first --subset ops of each layer's
//              seeded exploration order, 4 as NSE's default) with every gate at p = 0.5: each step
//              draws the gates, so about half of the subset's ops run per layer, their outputs summed,
//   - soft:    FBNet's soft supernet over the whole pool (every candidate of every layer runs).
// The same input batch for all. Each variant runs in a fresh process (peak RSS is its own), the
// order alternating over rounds. Reported: median step time after warm-up (each round's figure a
// median of its steps; the best round, least disturbed on a shared machine), the engine's live
// tensor bytes at the step's end (weights, gradients, momentum and what the step's scope holds;
// the activations autograd saves are libtorch's own, not counted there), and peak RSS over the
// process's RSS before the model was built (where the activations show).
//   node dist/bench/supernetStepCost.js [--steps 10] [--warmup 3] [--batch 64] [--threads 1] [--rounds 2] [--subset 4]
import { manualSeed, randint, randn } from '../src/engine/creation';
import { dispose, keep, memory } from '../src/engine/memory';
import { setNumThreads } from '../src/engine/runtime';
import type { Tensor } from '../src/engine/tensor';
import { buildNetwork } from '../src/builder/buildNetwork';
import { archCost } from '../src/cost/netCost';
import type { Module } from '../src/nn/module';
import { SGD } from '../src/optim/sgd';
import { Rng } from '../src/random/rng';
import { deriveSeed, hashString } from '../src/random/seeds';
import { formatArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { flopsCandidateCosts } from '../src/supernet/candidateCosts';
import { archOfIndices, supernetLayout } from '../src/supernet/layout';
import { SupernetNetwork } from '../src/supernet/supernetNetwork';
import { Supernet } from '../src/search/fbnet/supernet';
import { GatedSupernet } from '../src/search/nse/gatedSupernet';
import { explorationOrder, initialSubsets } from '../src/search/nse/pool';
import { subsetLayout } from '../src/search/nse/rounds';
import { arg } from './args';
import { childOrParent, runVariants, timeSteps } from './stepCost';
import { upperMedian as median } from '../src/stats';

const VARIANTS = ['network', 'spos', 'nse', 'soft'] as const;
type Variant = (typeof VARIANTS)[number];
const INPUT = [1, 28, 28] as const;
const SPACE = 'nse-s';
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const MiB = 2 ** 20;

interface Measurement {
  variant: Variant;
  what: string;
  stepMs: number;
  /** Mean ops run per layer per step. */
  branches: number;
  /** Mean MACs per image of the ops that ran (the analytic count: stem, head, classifier and the layers' ops). */
  macs: number;
  liveMiB: number;
  peakRssMiB: number;
  baseRssMiB: number;
  params: number;
}

function child(variant: Variant): Measurement {
  const steps = Number(arg('steps', '10'));
  const warmup = Number(arg('warmup', '3'));
  const batch = Number(arg('batch', '64'));
  const subset = Number(arg('subset', '4'));
  setNumThreads(Number(arg('threads', '1')));
  const space = loadSpace(SPACE);
  const layout = supernetLayout(space, INPUT, 10);
  const pick = new Rng(0);
  const path = layout.layers.map((l) => pick.int(l.candidates.length));
  const arch = archOfIndices(layout, path);
  const perOp = flopsCandidateCosts(space, INPUT, 10, { unit: 'kMAC' });
  const macsOf = (ops: readonly (readonly number[])[], sub = layout) =>
    ops.reduce(
      (m, set, l) =>
        m +
        set.reduce(
          (a, i) =>
            a +
            perOp.perLayer[l]![
              layout.layers[l]!.candidates.findIndex((c) => c.op === sub.layers[l]!.candidates[i]!.op)
            ]!,
          0,
        ),
      perOp.fixed,
    ) * 1e3;
  manualSeed(0);
  const x = keep(randn([batch, ...INPUT]).contiguous('channels_last'));
  const y = keep(randint(0, 10, [batch]));
  const baseRssMiB = rssMiB();
  let model: Module;
  let what: string;
  let weights: Tensor[];
  let forward: () => { logits: Tensor; branches: number; macs: number };
  if (variant === 'network') {
    const net = buildNetwork(space, arch, { input: INPUT, classes: 10 });
    model = net;
    weights = net.parameters();
    what = `network ${formatArch(space, arch)} (${(archCost(space, arch, { input: INPUT, classes: 10 }).flops / 1e6).toFixed(2)} MMAC)`;
    forward = () => ({ logits: net.forward(x), branches: 1, macs: macsOf(path.map((i) => [i])) });
  } else if (variant === 'spos') {
    const sn = new SupernetNetwork(layout);
    model = sn;
    weights = sn.parameters();
    what = `SPOS supernet, ${layout.layers.length} layers x ${layout.layers[0]!.candidates.length} ops, stepping the network's path`;
    forward = () => ({ logits: sn.forwardPath(x, path), branches: 1, macs: macsOf(path.map((i) => [i])) });
  } else if (variant === 'nse') {
    const pools = layout.layers.map((l) => l.candidates.map((c) => c.op));
    const subsets = initialSubsets(explorationOrder(pools, deriveSeed(0, hashString('nse-order'))), subset);
    const sub = subsetLayout(layout, subsets);
    const sn = new GatedSupernet(sub);
    sn.setTrainable(true, false);
    model = sn;
    weights = sn.weightParameters();
    what = `NSE gated supernet, ${layout.layers.length} layers x ${subset} ops, every gate p = 0.5`;
    const rng = new Rng(1);
    forward = () => {
      const drawn = sn.drawPath(rng);
      return {
        logits: sn.forwardPath(x, drawn),
        branches: drawn.reduce((n, p) => n + p.length, 0) / drawn.length,
        macs: macsOf(drawn, sub),
      };
    };
  } else {
    const costs = flopsCandidateCosts(space, INPUT, 10, { unit: 'kMAC' });
    const sn = new Supernet(space, { costs, input: INPUT, classes: 10 });
    sn.setTrainable(true, false);
    model = sn;
    weights = sn.weightParameters();
    what = `FBNet soft supernet, ${layout.layers.length} layers x ${layout.layers[0]!.candidates.length} ops, all run`;
    const all = layout.layers.map((l) => l.candidates.map((_, i) => i));
    forward = () => ({
      logits: sn.forwardWithCost(x).logits,
      branches: layout.layers[0]!.candidates.length,
      macs: macsOf(all),
    });
  }
  model.to({ memoryFormat: 'channels_last' }).train();
  const opt = new SGD(weights, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  let branches = 0;
  let macs = 0;
  let liveBytes = 0;
  const times = timeSteps({
    forward,
    labels: y,
    optimizer: opt,
    steps,
    warmup,
    afterStep: (f) => {
      branches += f.branches / steps;
      macs += f.macs / steps;
      liveBytes = Math.max(liveBytes, memory().liveBytes);
    },
  });
  const params = weights.reduce((n, t) => n + t.size, 0);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  opt.dispose();
  model.dispose();
  dispose([x, y]);
  return {
    variant,
    what,
    stepMs: median(times),
    branches,
    macs,
    liveMiB: liveBytes / MiB,
    peakRssMiB,
    baseRssMiB,
    params,
  };
}

function parent(): void {
  const rounds = Number(arg('rounds', '2'));
  const runs = runVariants<Variant, Measurement>(
    VARIANTS,
    rounds,
    ['steps', 'warmup', 'batch', 'threads', 'subset'],
    (m) => `${m.stepMs.toFixed(1)} ms/step, live ${m.liveMiB.toFixed(0)} MiB, peak RSS ${m.peakRssMiB.toFixed(0)} MiB`,
  );
  const summary = VARIANTS.map((v) => {
    const ms = runs.get(v)!;
    return {
      variant: v,
      what: ms[0]!.what,
      params: ms[0]!.params,
      branches: median(ms.map((m) => m.branches)),
      macs: median(ms.map((m) => m.macs)),
      stepMs: median(ms.map((m) => m.stepMs)),
      stepMsBest: Math.min(...ms.map((m) => m.stepMs)),
      liveMiB: median(ms.map((m) => m.liveMiB)),
      peakRssMiB: median(ms.map((m) => m.peakRssMiB)),
      modelRssMiB: median(ms.map((m) => m.peakRssMiB - m.baseRssMiB)),
    };
  });
  const net = summary.find((s) => s.variant === 'network')!;
  console.log(
    `${SPACE}, input ${INPUT.join('x')}, batch ${arg('batch', '64')}, ${arg('threads', '1')} thread(s), channels_last; step = forward + backward + SGD (momentum) on the weights; ` +
      `median of ${arg('steps', '10')} steps after ${arg('warmup', '3')} warm-up, median over ${rounds} round(s)`,
  );
  console.log(
    [
      'variant',
      'ops run per layer',
      'MMAC/img run',
      'step ms (median)',
      'best round',
      'x network',
      'live tensors MiB',
      'x network',
      'RSS over base MiB',
      'x network',
      'params',
    ].join(' | '),
  );
  for (const s of summary)
    console.log(
      [
        s.variant,
        s.branches.toFixed(2),
        (s.macs / 1e6).toFixed(2),
        s.stepMs.toFixed(1),
        s.stepMsBest.toFixed(1),
        (s.stepMs / net.stepMs).toFixed(1),
        s.liveMiB.toFixed(1),
        (s.liveMiB / net.liveMiB).toFixed(1),
        s.modelRssMiB.toFixed(0),
        (s.modelRssMiB / net.modelRssMiB).toFixed(1),
        String(s.params),
      ].join(' | '),
    );
  for (const s of summary) console.log(`${s.variant}: ${s.what}`);
  console.log(JSON.stringify({ bench: 'supernetStepCost', space: SPACE, input: INPUT, rounds, results: summary }));
}

childOrParent(VARIANTS, child, parent);
