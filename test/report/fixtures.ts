// A realistic ReportData for tests and for looking at a report: an fbnet-s-like search on
// synthetic accuracy / MACs / latency, random trials then regularized evolution, a few failed
// and pruned trials, one still running, a random-search baseline and an FBNet-like section.
import { heatmapChart, lineChart, tradeoffChart, type HeatmapCell } from '../../src/report';
import type { ReportData, ReportSection, ReportTrial } from '../../src/report/types';

/** mulberry32: a small seeded PRNG, so fixtures are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const OPS = [
  'ir_k3_e1',
  'ir_k3_e1_g2',
  'ir_k3_e3',
  'ir_k3_e6',
  'ir_k5_e1',
  'ir_k5_e1_g2',
  'ir_k5_e3',
  'ir_k5_e6',
  'skip',
];
// fbnet-s: 9 searchable layers in stages of 1, 2, 3, 3 (widths 16/24/32/64, 32 -> 4 pixels).
const STAGES = [1, 2, 3, 3];
const LAYERS = STAGES.flatMap((n, s) => Array.from({ length: n }, (_, i) => ({ stage: s, first: i === 0 })));
const WIDTH = [16, 24, 32, 64];
const SIDE = [32, 16, 8, 4];

function opParts(op: string): { k: number; e: number; g: number } | null {
  const m = /^ir_k(\d)_e(\d)(?:_g(\d))?$/.exec(op);
  return m ? { k: +m[1]!, e: +m[2]!, g: m[3] ? +m[3] : 1 } : null;
}

export function archString(choices: number[]): string {
  const groups: string[][] = [];
  let i = 0;
  for (const n of STAGES) groups.push(choices.slice(i, (i += n)).map((c) => OPS[c]!));
  return groups.map((g) => g.join('-')).join('/');
}

/** Synthetic costs and accuracy of an architecture (per-layer choice indices). */
export function evaluate(
  choices: number[],
  noise: () => number,
): { accuracy: number; testAcc: number; flops: number; params: number; latencyUs: number } {
  let flops = 16 * 3 * 9 * 32 * 32 + 64 * 256 * 16 + 256 * 10;
  let params = 16 * 3 * 9 + 64 * 256 + 2570;
  let latencyUs = 180;
  let quality = 0;
  choices.forEach((c, li) => {
    const L = LAYERS[li]!;
    const op = opParts(OPS[c]!);
    const cin = L.first && L.stage > 0 ? WIDTH[L.stage - 1]! : WIDTH[L.stage]!;
    const cout = WIDTH[L.stage]!;
    const hw = SIDE[L.stage]! ** 2;
    if (!op) {
      latencyUs += 4;
      quality -= L.stage === 3 ? 0.012 : 0.006;
      return;
    }
    const mid = cin * op.e;
    const macs = hw * ((cin * mid) / op.g + mid * op.k * op.k + (mid * cout) / op.g);
    flops += macs;
    params += (cin * mid) / op.g + mid * op.k * op.k + (mid * cout) / op.g;
    latencyUs += 22 + macs / 5200 + (op.k === 5 ? 9 : 0) + (op.g > 1 ? 12 : 0);
    quality += 0.004 * Math.log2(op.e + 1) + (op.k === 5 ? 0.002 : 0) - (op.g > 1 ? 0.002 : 0);
  });
  const accuracy = 0.78 + 0.07 * (1 - Math.exp(-flops / 5e6)) + 0.8 * quality + 0.008 * (noise() - 0.5);
  return {
    accuracy,
    testAcc: accuracy - 0.004 + 0.004 * (noise() - 0.5),
    flops: Math.round(flops),
    params: Math.round(params),
    latencyUs: latencyUs * (1 + 0.04 * (noise() - 0.5)),
  };
}

const ERRORS = [
  'Error: training diverged: loss is NaN at epoch 3 (lr 0.1)\n    at Trainer.fit (src/train/trainer.ts:212:11)\n    at TrainingEvaluator.evaluate (src/study/evaluators/training.ts:88:5)',
  'RangeError: latency table has no entry for ir_k5_e1_g2 at 24x16x16 -> 24 (stride 1)\n    at tableLatency (src/latency/table.ts:57:13)',
  'Error: worker exited with code 137 (killed: out of memory?)',
  'Error: evaluation timed out after 600 s',
];

export interface FixtureOptions {
  trials?: number;
  failed?: number;
  pruned?: number;
  running?: number;
  baseline?: number;
  sections?: boolean;
  seed?: number;
}

function randomChoices(r: () => number): number[] {
  return LAYERS.map(() => Math.floor(r() * OPS.length));
}

/** Trials as a search would record them: `randomFirst` random ones, then regularized evolution. */
export function makeTrials(
  n: number,
  seed: number,
  opts: { randomFirst?: number; failed?: number; pruned?: number; running?: number; start?: number } = {},
): ReportTrial[] {
  const r = rng(seed);
  const start = opts.start ?? Date.UTC(2025, 2, 14, 9, 0, 0);
  const randomFirst = opts.randomFirst ?? Math.min(n, 60);
  // Failed and pruned trials: distinct, after the first few when there is room.
  const slots = Array.from({ length: n }, (_, i) => i).filter((i) => i >= Math.min(5, n - 1));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  const failedAt = new Set(slots.splice(0, opts.failed ?? 0));
  const prunedAt = new Set(slots.splice(0, opts.pruned ?? 0));
  const failedOrder = [...failedAt].sort((a, b) => a - b);
  const population: Array<{ choices: number[]; accuracy: number }> = [];
  const trials: ReportTrial[] = [];
  let clock = start + 2000;
  for (let i = 0; i < n; i++) {
    let choices: number[];
    let source: string;
    if (i < randomFirst || population.length < 8) {
      choices = randomChoices(r);
      source = 'random';
    } else {
      const sample = Array.from({ length: 8 }, () => population[Math.floor(r() * population.length)]!);
      const parent = sample.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
      choices = [...parent.choices];
      choices[Math.floor(r() * choices.length)] = Math.floor(r() * OPS.length);
      source = 'evolution';
    }
    const m = evaluate(choices, r);
    const seconds = 25 + m.flops / 1.2e5 + 20 * r();
    const startedAt = clock;
    const finishedAt = clock + seconds * 1000;
    clock = finishedAt + 300 + 700 * r();
    const running = i >= n - (opts.running ?? 0);
    const base: ReportTrial = {
      number: i,
      state: 'complete',
      arch: archString(choices),
      source,
      metrics: {},
      epochs: [],
      startedAt,
      finishedAt,
      error: null,
      choices: Object.fromEntries(choices.map((c, li) => [`layer${li + 1}`, OPS[c]!])),
    };
    if (running) {
      trials.push({ ...base, state: 'running', finishedAt: null, metrics: { flops: m.flops, params: m.params } });
    } else if (failedAt.has(i)) {
      trials.push({
        ...base,
        state: 'failed',
        metrics: { flops: m.flops, params: m.params },
        error: ERRORS[failedOrder.indexOf(i) % ERRORS.length]!,
        finishedAt: startedAt + 4000,
      });
    } else if (prunedAt.has(i)) {
      trials.push({
        ...base,
        state: 'pruned',
        metrics: { flops: m.flops, params: m.params, accuracy: m.accuracy - 0.05 },
        epochs: [
          { epoch: 1, valAcc: m.accuracy - 0.08 },
          { epoch: 2, valAcc: m.accuracy - 0.05 },
        ],
      });
    } else {
      const epochs = [1, 2, 3, 4, 5].map((e) => ({
        epoch: e,
        trainLoss: 0.9 / e + 0.2,
        valAcc: m.accuracy - 0.06 / e + 0.012,
      }));
      trials.push({ ...base, metrics: { ...m }, epochs });
      population.push({ choices, accuracy: m.accuracy });
      if (population.length > 30) population.shift();
    }
  }
  return trials;
}

/** An FBNet-like section: per-layer probability of the final choice over epochs, expected latency against
 * epochs, and the sampled and final architectures on the accuracy-latency plane beside a random-search baseline. */
export function fbnetSection(
  seed = 7,
  epochs = 20,
  baseline: readonly ReportTrial[] = makeTrials(60, seed + 1, { randomFirst: 60 }),
): ReportSection {
  const r = rng(seed);
  const finals = LAYERS.map(() => Math.floor(r() * OPS.length));
  const cells: HeatmapCell[] = [];
  LAYERS.forEach((L, li) => {
    const speed = 0.05 + 0.35 * r();
    const final = 0.35 + 0.6 * r();
    for (let e = 1; e <= epochs; e++) {
      const p = 1 / OPS.length + (final - 1 / OPS.length) * (1 - Math.exp(-speed * Math.max(0, e - 3)));
      cells.push({ row: `layer ${li + 1} (stage ${L.stage + 1})`, column: e, value: p, label: OPS[finals[li]!]! });
    }
  });
  const expected = Array.from({ length: epochs }, (_, i) => ({
    x: i + 1,
    y: 1450 - 520 * (1 - Math.exp(-0.18 * Math.max(0, i - 2))) + 20 * (r() - 0.5),
  }));
  const sampledLatency = expected.map((p) => ({ x: p.x, y: p.y * (1 + 0.08 * (r() - 0.5)) }));
  // k architectures sampled from the final distribution (the final choice, a few layers resampled), then the argmax.
  const sampled: ReportTrial[] = Array.from({ length: 9 }, (_, i) => {
    const choices = [...finals];
    if (i < 8) for (let j = 0; j < 3; j++) choices[Math.floor(r() * choices.length)] = Math.floor(r() * OPS.length);
    const m = evaluate(choices, r);
    return {
      number: i,
      state: 'complete',
      arch: archString(choices),
      source: i < 8 ? 'sampled' : 'argmax',
      metrics: { ...m, accuracy: m.accuracy + 0.01 },
      epochs: [],
      startedAt: null,
      finishedAt: null,
      error: null,
    };
  });
  return {
    title: 'Architecture distribution (FBNet-style)',
    html: "<p>Probability of each layer's final choice over the search epochs (warm-up: 3 epochs), and the expected latency of the distribution against the target.</p>",
    charts: [
      heatmapChart(cells, {
        title: 'Probability of the final choice, per layer',
        rowTitle: 'layer',
        columnTitle: 'epoch',
        valueTitle: 'probability',
      }),
      lineChart(
        [
          { name: 'expected latency', points: expected },
          { name: 'sampled architecture', points: sampledLatency, dashed: true },
        ],
        {
          title: 'Expected latency against epochs',
          xTitle: 'Epoch',
          yTitle: 'Latency (µs)',
          rules: [{ y: 1000, label: 'target 1000 µs' }],
        },
      ),
      tradeoffChart(sampled, {
        x: 'latencyUs',
        y: 'accuracy',
        yDirection: 'maximize',
        baseline,
        baselineLabel: 'random search',
        highlight: [8],
        highlightLabel: 'final',
        title: 'Sampled and final architectures vs random search',
      })!,
    ],
  };
}

/** The full fixture: 150 trials (4 failed, 2 pruned, 1 running), a 60-trial random baseline, one extra section. */
export function makeReportData(opts: FixtureOptions = {}): ReportData {
  const seed = opts.seed ?? 42;
  const trials = makeTrials(opts.trials ?? 150, seed, {
    failed: opts.failed ?? 4,
    pruned: opts.pruned ?? 2,
    running: opts.running ?? 1,
  });
  const data: ReportData = {
    study: {
      name: 'fbnet-s-evolution-demo',
      strategy: 'evolution',
      space: 'fbnet-s',
      evaluator: 'synthetic:42',
      objective: { metric: 'accuracy', direction: 'maximize' },
      constraints: ['flops<=15e6', 'params<=0.25e6'],
      createdAt: Date.UTC(2025, 2, 14, 9, 0, 0),
      seed,
      config: { population: 30, sampleSize: 8, trials: opts.trials ?? 150, lut: 'luts/pixel4-cpu.json' },
    },
    trials,
  };
  if ((opts.baseline ?? 60) > 0) {
    data.baseline = makeTrials(opts.baseline ?? 60, seed + 1000, { randomFirst: opts.baseline ?? 60 });
  }
  if (opts.sections ?? true) data.sections = [fbnetSection(7, 20, data.baseline)];
  return data;
}
