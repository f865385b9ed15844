// The trainer (loader + augmentation + SGD) against the same loop in PyTorch, alternately in one run:
//   node dist/bench/compareTrainer.js [--rounds 3] [--limit 12800] [--batch 128] [--threads 2]
import * as path from 'node:path';
import { runAlternately } from './alternate';
import { arg } from './args';

const root = path.resolve(__dirname, '..', '..');
const common = [
  '--limit',
  arg('limit', '12800'),
  '--batch',
  arg('batch', '128'),
  '--threads',
  arg('threads', '2'),
  '--json',
];
runAlternately(
  { name: 'tsnas', command: process.execPath, args: [path.join(root, 'bin/tsnas.js'), 'bench', 'trainer', ...common] },
  {
    name: 'pytorch',
    command: process.env.TSNAS_REFERENCE_PYTHON ?? '/usr/bin/python3',
    args: [path.join(root, 'bench/trainer_torch.py'), ...common],
    cwd: path.join(root, 'bench'),
  },
  Number(arg('rounds', '3')),
  'imgPerSec',
);
