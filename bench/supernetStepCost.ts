// What a one-shot supernet's training step costs against the stand-alone network(s) of the same
// ops (issue 13: one path vs several branches; issue 25, item 6: a supernet at the cost of its
// path): nse-s (19 ops per layer, 6 layers) on 1x28x28 inputs, batch 64, one step = forward +
// backward + SGD (momentum 0.9, weight decay 1e-4) on the weights, channels_last, for
//   - network:  one path of the space (a uniform single-op path, seed 0) built as a normal network,
//   - spos:     the SPOS supernet over the whole pool stepping that same path (the other ops get no
//               gradient, so the optimizer skips them),
//   - branches: --paths gate draws of NSE's subset (below), each built as a stand-alone
//               multi-branch network (its own weights and optimizer), stepped in turn: the
//               reference of the same ops and MACs for
//   - nse:      NSE's gated supernet over a round's subset (the first --subset ops of each layer's
//               seeded exploration order, 4 as NSE's default) with every gate at p = 0.5, stepping
//               the same draws in turn (and drawing its gates every step, as NSE's training does):
//               about half of the subset's ops run per layer, their outputs summed,
//   - soft:     FBNet's soft supernet over the whole pool (every candidate of every layer runs).
// The same input batch for all. Each variant runs in a fresh process (peak RSS is its own), the
// order alternating over rounds. Reported: median step time after warm-up (each round's figure a
// median of its steps; the best round, least disturbed on a shared machine), the time per MMAC
// against the stand-alone reference of the same ops (spos and soft: network; nse: branches), the
// phases of the step (zeroGrad, forward, loss + backward, optimizer: where a supernet's extra time
// would show), the engine's live tensor bytes at the step's end (weights, gradients, momentum and
// what the step's scope holds; the activations autograd saves are libtorch's own, not counted
// there), and peak RSS over the process's RSS before the model was built (where the activations show).
//   node dist/bench/supernetStepCost.js [--steps 10] [--warmup 3] [--batch 64] [--threads 1] [--rounds 2] [--subset 4] [--paths 3]
import { manualSeed, randint, randn } from '../src/engine/creation';
import { dispose, keep, memory } from '../src/engine/memory';
import { setNumThreads } from '../src/engine/runtime';
import type { Tensor } from '../src/engine/tensor';
import { buildNetwork } from '../src/builder/buildNetwork';
import { archCost } from '../src/cost/netCost';
import type { Module } from '../src/nn/module';
import { Sequential } from '../src/nn';
import { SGD } from '../src/optim/sgd';
import { Rng } from '../src/random/rng';
import { deriveSeed, hashString } from '../src/random/seeds';
import { formatArch } from '../src/space/archFormat';
import { loadSpace } from '../src/space/registry';
import { flopsCandidateCosts } from '../src/supernet/candidateCosts';
import { archOfIndices, supernetLayout } from '../src/supernet/layout';
import { archOfBranchPath } from '../src/supernet/branchChildNetwork';
import { SupernetNetwork } from '../src/supernet/supernetNetwork';
import { Supernet } from '../src/search/fbnet/supernet';
import { drawGates, GatedSupernet } from '../src/search/nse/gatedSupernet';
import { explorationOrder, initialSubsets } from '../src/search/nse/pool';
import { subsetLayout } from '../src/search/nse/rounds';
import { arg } from './args';
import { childOrParent, medianPhases, runVariants, timeSteps, type StepOptimizer, type StepPhases } from './stepCost';
import { upperMedian as median } from '../src/stats';

const VARIANTS = ['network', 'spos', 'branches', 'nse', 'soft'] as const;
type Variant = (typeof VARIANTS)[number];
const INPUT = [1, 28, 28] as const;
const SPACE = 'nse-s';
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const MiB = 2 ** 20;

interface Measurement {
  variant: Variant;
  what: string;
  stepMs: number;
  /** The median of each phase of the step. */
  phases: StepPhases;
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
  const pathCount = Number(arg('paths', '3'));
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
  let optimizer: StepOptimizer | null = null;
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
  } else if (variant === 'nse' || variant === 'branches') {
    // Both step the same --paths gate draws in turn (every gate at p = 0.5, drawn as NSE draws
    // them): the gated supernet (which also draws its gates every step, as NSE's training does),
    // and, as its reference of the same ops and MACs, each drawn path built as a stand-alone
    // multi-branch network with its own optimizer.
    const pools = layout.layers.map((l) => l.candidates.map((c) => c.op));
    const subsets = initialSubsets(explorationOrder(pools, deriveSeed(0, hashString('nse-order'))), subset);
    const sub = subsetLayout(layout, subsets);
    const drawRng = new Rng(1);
    const paths = Array.from({ length: pathCount }, () =>
      sub.layers.map((l) =>
        drawGates(
          l.candidates.map(() => 0.5),
          drawRng,
        ),
      ),
    );
    const branchesPerLayer = (p: number[][]) => p.reduce((n, set) => n + set.length, 0) / p.length;
    let turn = -1;
    if (variant === 'nse') {
      const sn = new GatedSupernet(sub);
      sn.setTrainable(true, false);
      model = sn;
      weights = sn.weightParameters();
      what = `NSE gated supernet, ${layout.layers.length} layers x ${subset} ops, every gate p = 0.5, stepping ${pathCount} drawn paths in turn`;
      const rng = new Rng(2);
      forward = () => {
        sn.drawPath(rng); // the draw every step pays; the path run is the turn's, the reference's
        const drawn = paths[(turn = (turn + 1) % pathCount)]!;
        return { logits: sn.forwardPath(x, drawn), branches: branchesPerLayer(drawn), macs: macsOf(drawn, sub) };
      };
    } else {
      // A gated layer may run all of its subset's ops; the space's own architectures join at most `branches`.
      const wide = structuredClone(space);
      for (const d of [...wide.dims, ...wide.searchDims]) if (d.branches) d.branches = Math.max(d.branches, subset);
      const nets = paths.map((p) => buildNetwork(wide, archOfBranchPath(sub, p), { input: INPUT, classes: 10 }));
      for (const n of nets) n.to({ memoryFormat: 'channels_last' }).train();
      const opts = nets.map((n) => new SGD(n.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 }));
      model = new Sequential(nets.map((n, i) => [String(i), n] as [string, Module]));
      weights = nets.flatMap((n) => n.parameters());
      what = `the ${pathCount} drawn paths of the nse row as stand-alone multi-branch networks, in turn (e.g. ${formatArch(space, archOfBranchPath(sub, paths[0]!))})`;
      optimizer = {
        zeroGrad: () => opts[(turn = (turn + 1) % pathCount)]!.zeroGrad(),
        step: () => opts[turn]!.step(),
        dispose: () => opts.forEach((o) => o.dispose()),
      };
      forward = () => ({
        logits: nets[turn]!.forward(x),
        branches: branchesPerLayer(paths[turn]!),
        macs: macsOf(paths[turn]!, sub),
      });
    }
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
  const opt = optimizer ?? new SGD(weights, { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
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
    phases: medianPhases(times.phases, median),
    branches,
    macs,
    liveMiB: liveBytes / MiB,
    peakRssMiB,
    baseRssMiB,
    params,
  };
}

/** What each variant's step is compared with per MAC: the stand-alone network(s) of the same ops. */
const STAND_ALONE: Record<Variant, Variant> = {
  network: 'network',
  spos: 'network',
  branches: 'branches',
  nse: 'branches',
  soft: 'network',
};

function parent(): void {
  const rounds = Number(arg('rounds', '2'));
  const runs = runVariants<Variant, Measurement>(
    VARIANTS,
    rounds,
    ['steps', 'warmup', 'batch', 'threads', 'subset', 'paths'],
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
      phases: medianPhases(
        ms.map((m) => m.phases),
        median,
      ),
      liveMiB: median(ms.map((m) => m.liveMiB)),
      peakRssMiB: median(ms.map((m) => m.peakRssMiB)),
      modelRssMiB: median(ms.map((m) => m.peakRssMiB - m.baseRssMiB)),
    };
  });
  const of = (v: Variant) => summary.find((s) => s.variant === v)!;
  const net = of('network');
  const msPerMmac = (s: (typeof summary)[number]) => s.stepMs / (s.macs / 1e6);
  const results = summary.map((s) => ({
    ...s,
    msPerMmac: msPerMmac(s),
    standAlone: STAND_ALONE[s.variant],
    perMacVsStandAlone: msPerMmac(s) / msPerMmac(of(STAND_ALONE[s.variant])),
  }));
  console.log(
    `${SPACE}, input ${INPUT.join('x')}, batch ${arg('batch', '64')}, ${arg('threads', '1')} thread(s), channels_last; step = forward + backward + SGD (momentum) on the weights; ` +
      `median of ${arg('steps', '10')} steps after ${arg('warmup', '3')} warm-up, median over ${rounds} round(s)`,
  );
  const row = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
  row([
    'variant',
    'ops run per layer',
    'MMAC/img run',
    'step ms (median)',
    'best round',
    'ms per MMAC/img',
    'per MAC x stand-alone',
    'zeroGrad / forward / loss+backward / optimizer ms',
    'live tensors MiB',
    'x network',
    'RSS over base MiB',
    'x network',
    'params',
  ]);
  row(Array.from({ length: 13 }, () => '---'));
  for (const s of results)
    row([
      s.variant,
      s.branches.toFixed(2),
      (s.macs / 1e6).toFixed(2),
      s.stepMs.toFixed(1),
      s.stepMsBest.toFixed(1),
      s.msPerMmac.toFixed(1),
      s.variant === s.standAlone ? '1 (reference)' : `${s.perMacVsStandAlone.toFixed(2)} (vs ${s.standAlone})`,
      [s.phases.zeroGrad, s.phases.forward, s.phases.backward, s.phases.optimizer].map((x) => x.toFixed(1)).join(' / '),
      s.liveMiB.toFixed(1),
      (s.liveMiB / net.liveMiB).toFixed(1),
      s.modelRssMiB.toFixed(0),
      (s.modelRssMiB / net.modelRssMiB).toFixed(1),
      String(s.params),
    ]);
  for (const s of summary) console.log(`${s.variant}: ${s.what}`);
  console.log(JSON.stringify({ bench: 'supernetStepCost', space: SPACE, input: INPUT, rounds, results }));
}

childOrParent(VARIANTS, child, parent);
