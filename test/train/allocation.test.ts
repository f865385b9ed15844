// A network too large for memory: libtorch's allocator names only the bytes it tried; the error
// says the network's size, its largest layers and what to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spaceFromText } from '../../src/space/loadSpace';
import { parseArch } from '../../src/space/archFormat';
import { loadSynthetic } from '../../src/data/synthetic';
import { parseRecipe } from '../../src/train/recipe';
import { trainArchitecture } from '../../src/train/trainArchitecture';
import { isAllocationError } from '../../src/train/allocationError';
import { throwsWith } from '../data/fixtures';

test('an architecture too large to allocate: the error gives its parameters, MACs and largest layer, not only the allocator text', () => {
  // fbnet-s with a head of 10^15 channels: its weight alone (6.4e16 floats) exceeds any address space,
  // so the allocation fails at once, wherever the test runs.
  const text = fs
    .readFileSync(path.join(__dirname, '..', '..', '..', 'spaces', 'fbnet-s.yaml'), 'utf8')
    .replace('head: { op: conv_k1, channels: 256 }', 'head: { op: conv_k1, channels: 1000000000000000 }')
    .replace(/^name: fbnet-s$/m, 'name: huge');
  const space = spaceFromText(text, 'huge.yaml');
  const arch = parseArch(space, space.architectures['fbnet-s-baseline']!);
  const msg = throwsWith(
    () =>
      trainArchitecture({
        space,
        spaceRef: 'huge.yaml',
        arch,
        recipe: parseRecipe({ epochs: 1, batchSize: 32 }),
        data: loadSynthetic({ seed: 0, train: 200, test: 50 }, 'synthetic'),
      }),
    [
      'the network is too large for this machine',
      'huge ir_k3_e1/ir_k3_e6',
      'at input 1x16x16 has',
      'parameters',
      'MACs per image',
      'its largest layer by weights is head (conv_k1',
      'at batch 32',
      'libtorch could not allocate',
      'a smaller `batchSize`',
    ],
  );
  assert.ok(isAllocationError(msg), 'libtorch words kept at the end');
});
