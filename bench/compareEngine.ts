// Runs tsnas and PyTorch on ref-mbconv alternately, in one run, and prints the ratio of medians.
// Each side runs in its own fresh process per round (same threads, batch, memory format), so
// neither inherits the other's warm caches, and the machine's noise hits both alike.
//
//   node dist/bench/compareEngine.js [--rounds 5] [--steps 40] [--threads 2] [--memory-format channels_last]
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

interface Result { imgPerSec: number; msPerStep: number; rssMBAfterWarmup: number; rssMBEnd: number }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const root = path.resolve(__dirname, '..', '..');
const rounds = Number(arg('rounds', '5'));
const common = ['--steps', arg('steps', '40'), '--warmup', '5', '--batch', '64', '--threads', arg('threads', '2'), '--memory-format', arg('memory-format', 'channels_last'), '--json'];
const python = process.env.TSNAS_REFERENCE_PYTHON ?? '/usr/bin/python3';

function lastJson(out: string): Result {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Result;
}
const run = {
  tsnas: () => lastJson(execFileSync(process.execPath, [path.join(root, 'bin/tsnas.js'), 'bench', 'engine', ...common], { encoding: 'utf8' })),
  pytorch: () => lastJson(execFileSync(python, [path.join(root, 'bench/ref_mbconv_torch.py'), ...common], { encoding: 'utf8' })),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<'tsnas' | 'pytorch', Result[]> = { tsnas: [], pytorch: [] };
for (let r = 0; r < rounds; r++) {
  // Alternate which side goes first, so drift in machine load does not favour one.
  const order: Array<'tsnas' | 'pytorch'> = r % 2 === 0 ? ['tsnas', 'pytorch'] : ['pytorch', 'tsnas'];
  for (const side of order) {
    const res = run[side]();
    results[side].push(res);
    process.stderr.write(`round ${r + 1}/${rounds} ${side.padEnd(7)} ${res.imgPerSec.toFixed(1)} img/s, rss ${res.rssMBAfterWarmup} -> ${res.rssMBEnd} MB\n`);
  }
}
const t = median(results.tsnas.map((x) => x.imgPerSec));
const p = median(results.pytorch.map((x) => x.imgPerSec));
const perRound = results.tsnas.map((x, i) => x.imgPerSec / results.pytorch[i]!.imgPerSec);
console.log(`median images/s: tsnas ${t.toFixed(1)}, PyTorch ${p.toFixed(1)}; ratio of medians ${(t / p).toFixed(3)}; median per-round ratio ${median(perRound).toFixed(3)}`);
console.log(JSON.stringify({ tsnasImgPerSec: t, pytorchImgPerSec: p, ratio: t / p, perRoundRatios: perRound, rounds, args: common }));
