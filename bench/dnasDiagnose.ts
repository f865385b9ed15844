// Small FBNet searches that log, per epoch, what the issue-14 diagnosis needs: the temperature,
// the weight learning rate, the weight pass's training accuracy (sampled networks), the theta
// pass's cross-entropy and sampled latency, the expected and argmax latency, and the mean
// entropy of the per-layer distributions. One variant per run (each in its own process when
// given several, one after the other), all on the same subset and seed:
//
//   node dist/bench/dnasDiagnose.js --lut FILE [--limit-train 3000] [--epochs 5] [--threads 1]
//        [--variants main,no-theta,const-tau,warmup2] [--out runs/dnas-diagnose.json]
//
// Variants (everything else as scripts/main.sh's search: soft supernet, tau 5 exp(-4/E epoch),
// theta lr 0.05, weight lr 0.05 cosine, 1 warm-up epoch):
//   main       the main job's settings
//   no-theta   theta never trains (all but the last epoch warm-up; only the first E-1 epochs are read)
//   const-tau  tau stays at 5 (tau-decay 0)
//   warmup2    two warm-up epochs
//   hard       the straight-through supernet (--hard: one sampled candidate per layer runs)
//   hard-beta2, hard-beta4   the same with beta 2 or 4 (more latency pressure)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { loadDataSource } from '../src/data/dataSource';
import { readLatencyTable } from '../src/latency/latencyTable';
import { loadSpace } from '../src/space/registry';
import { latencyCandidateCosts } from '../src/supernet/latencyCosts';
import { runDnas, type DnasEpochRecord } from '../src/search/fbnet/dnas';
import { arg } from './args';

interface Row {
  variant: string;
  epoch: number;
  phase: string;
  tau: number;
  weightLr: number;
  weightAcc: number;
  weightCe: number;
  thetaCe: number | null;
  thetaAcc: number | null;
  sampledLatUs: number | null;
  expectedUs: number;
  argmaxUs: number;
  entropy: number;
  seconds: number;
}

const entropy = (d: readonly number[]) => -d.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0);

function row(variant: string, r: DnasEpochRecord): Row {
  const searchable = r.distributions.filter((d) => d.length > 1);
  return {
    variant,
    epoch: r.epoch,
    phase: r.phase,
    tau: r.tau,
    weightLr: r.weightLr,
    weightAcc: r.weightPass.accuracy,
    weightCe: r.weightPass.loss,
    thetaCe: r.thetaPass?.ce ?? null,
    thetaAcc: r.thetaPass?.accuracy ?? null,
    sampledLatUs: r.thetaPass?.cost ?? null,
    expectedUs: r.expectedCost,
    argmaxUs: r.argmaxCost,
    entropy: searchable.reduce((s, d) => s + entropy(d), 0) / searchable.length,
    seconds: r.seconds,
  };
}

function child(variant: string): Row[] {
  const epochs = Number(arg('epochs', '5'));
  const space = loadSpace('fbnet-s');
  const data = loadDataSource('fashion-mnist');
  const table = readLatencyTable(arg('lut', ''));
  const input: [number, number, number] = [1, 28, 28];
  const costs = latencyCandidateCosts(table, space, { input, classes: 10 });
  const base = {
    space,
    data,
    costs,
    input,
    classes: 10,
    epochs,
    warmupEpochs: 1,
    seed: Number(arg('seed', '0')),
    threads: Number(arg('threads', '1')),
    limitTrain: Number(arg('limit-train', '3000')),
    thetaLr: 0.05,
    tauDecay: 4 / epochs,
    beta: Number(arg('beta', '0.6')),
    hard: false,
  };
  const v: Record<string, Partial<typeof base>> = {
    main: {},
    'no-theta': { warmupEpochs: epochs - 1 },
    'const-tau': { tauDecay: 0 },
    warmup2: { warmupEpochs: 2 },
    hard: { hard: true },
    'hard-beta2': { hard: true, beta: 2 },
    'hard-beta4': { hard: true, beta: 4 },
  };
  if (!(variant in v)) throw new Error(`unknown variant '${variant}' (${Object.keys(v).join(', ')})`);
  const rows: Row[] = [];
  runDnas({
    ...base,
    ...v[variant],
    onEpoch: (r) => {
      const x = row(variant, r);
      rows.push(x);
      process.stderr.write(`${JSON.stringify(x)}\n`);
    },
  });
  return rows;
}

function main(): void {
  const variant = arg('child', '');
  if (variant) {
    process.stdout.write(`${JSON.stringify(child(variant))}\n`);
    return;
  }
  const variants = arg('variants', 'main,no-theta,const-tau,warmup2').split(',');
  const out = arg('out', 'runs/dnas-diagnose.json');
  const all: Row[] = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Row[]) : [];
  for (const variant of variants) {
    const args = process.argv.slice(2).filter((a, i, xs) => a !== '--variants' && xs[i - 1] !== '--variants');
    const text = execFileSync(process.execPath, [__filename, ...args, '--child', variant], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    all.push(...(JSON.parse(text.trim().split('\n').at(-1)!) as Row[]));
    fs.writeFileSync(out, JSON.stringify(all, null, 1));
  }
  const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
  const us = (v: number | null) => (v === null ? '-' : `${(v / 1000).toFixed(2)} ms`);
  console.log(
    '| variant | epoch | phase | tau | weight lr | weight-pass acc | weight CE | theta CE | expected lat | argmax lat | entropy |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of all)
    console.log(
      `| ${r.variant} | ${r.epoch} | ${r.phase} | ${r.tau.toFixed(2)} | ${r.weightLr.toFixed(4)} | ${pct(r.weightAcc)} | ${r.weightCe.toFixed(3)} | ` +
        `${r.thetaCe === null ? '-' : r.thetaCe.toFixed(3)} | ${us(r.expectedUs)} | ${us(r.argmaxUs)} | ${r.entropy.toFixed(2)} |`,
    );
}

main();
