// tsnas against PyTorch on ref-mbconv (random data), alternately in one run:
//   node dist/bench/compareEngine.js [--rounds 5] [--steps 40] [--threads 2] [--memory-format channels_last]
import * as path from 'node:path';
import { runAlternately } from './alternate';
import { arg } from './args';

const root = path.resolve(__dirname, '..', '..');
const common = [
  '--steps',
  arg('steps', '40'),
  '--warmup',
  '5',
  '--batch',
  '64',
  '--threads',
  arg('threads', '2'),
  '--memory-format',
  arg('memory-format', 'channels_last'),
  '--json',
];
runAlternately(
  { name: 'tsnas', command: process.execPath, args: [path.join(root, 'bin/tsnas.js'), 'bench', 'engine', ...common] },
  {
    name: 'pytorch',
    command: process.env.TSNAS_REFERENCE_PYTHON ?? '/usr/bin/python3',
    args: [path.join(root, 'bench/ref_mbconv_torch.py'), ...common],
  },
  Number(arg('rounds', '5')),
  'imgPerSec',
);
