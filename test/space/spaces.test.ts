import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BUILTIN_SPACES,
  loadSpace,
  loadSpaceFile,
  namedArchitectures,
  parseInputShape,
  resolveArchitecture,
  spaceFromData,
  spaceFromText,
  decode,
  allLayers,
} from '../../src/space';
import { spaceSize } from '../../src/arch';
import { defaultArch, formatArch, formatIndices } from '../../src/space/archFormat';

const CANDIDATES = [
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

test('every built-in space loads from spaces/', () => {
  for (const name of BUILTIN_SPACES) {
    const s = loadSpace(name);
    assert.equal(s.name, name);
    assert.ok(s.file && s.file.endsWith(`${name}.yaml`));
    assert.ok(s.description.length > 10);
  }
});

test('fbnet: the 22 x 9 macro-architecture of fbnet.md section 1', () => {
  const s = loadSpace('fbnet');
  const layers = s.searchDims.filter((d) => d.key.startsWith('layer'));
  assert.equal(layers.length, 22);
  for (const d of layers) assert.deepEqual([...d.values], CANDIDATES);
  assert.deepEqual([...s.dims.find((d) => d.key === 'head.channels')!.values], [1984, 1504]);
  assert.deepEqual(s.input, [3, 224, 224]);
  assert.equal(s.source.e1FirstConv, 'keep');
  // Channels / strides per searchable layer, straight from the spec table.
  const spec: Array<[number, number, number]> = [
    [16, 1, 1],
    [24, 4, 2],
    [32, 4, 2],
    [64, 4, 2],
    [112, 4, 1],
    [184, 4, 2],
    [352, 1, 1],
  ];
  const d = decode(s, resolveArchitecture('fbnet-c').arch);
  assert.deepEqual(
    d.stages.map((st) => [st[0]!.cout, st.length, st[0]!.stride]),
    spec,
  );
  for (const st of d.stages) for (const l of st.slice(1)) assert.equal(l.stride, 1);
  assert.equal(d.stem.op, 'conv_k3');
  assert.equal(d.stem.cout, 16);
  assert.equal(d.stem.stride, 2);
  assert.equal(d.head.op, 'conv_k1');
  assert.equal(d.classifier.cout, 1000);
  assert.equal(spaceSize(s).exact, 9n ** 22n * 2n);
});

test('fbnet-a/b/c follow fbnet-abc.md layer by layer, with their head widths', () => {
  const table: Record<string, string> = {
    'fbnet-a':
      'skip k3_e3 k3_e1 skip skip k5_e6 k3_e3 k5_e1 k3_e3 k5_e6 k5_e3 k5_e1_g2 k5_e6 k3_e6 k5_e1_g2 k5_e3 k3_e1_g2 k5_e6 k5_e6 k5_e3 k5_e6 k5_e6',
    'fbnet-b':
      'k3_e1 k3_e6 k5_e1 k3_e1 k3_e1 k5_e6 k5_e3 k3_e6 k5_e6 k5_e6 k5_e6 skip k5_e3 k5_e6 k3_e1 k5_e1 k5_e3 k5_e6 k5_e1 k5_e6 k5_e6 k3_e6',
    'fbnet-c':
      'k3_e1 k3_e6 skip k3_e1 k3_e1 k5_e6 k5_e3 k5_e6 k3_e6 k5_e6 k5_e3 k5_e6 k5_e6 k5_e6 k5_e6 k5_e6 k5_e3 k5_e6 k5_e6 k5_e6 k5_e6 k3_e6',
  };
  const heads: Record<string, number> = { 'fbnet-a': 1504, 'fbnet-b': 1984, 'fbnet-c': 1984 };
  for (const [name, ops] of Object.entries(table)) {
    const { space, arch } = resolveArchitecture(name);
    assert.equal(space.name, 'fbnet');
    const want = ops.split(' ').map((o) => (o === 'skip' ? o : `ir_${o}`));
    assert.deepEqual(
      allLayers(decode(space, arch))
        .slice(1, -1)
        .map((l) => l.op),
      want,
    );
    assert.equal(arch['head.channels'], heads[name]);
  }
});

test('mobilenetv2: one architecture in the torchvision layout', () => {
  const s = loadSpace('mobilenetv2');
  assert.equal(s.searchDims.length, 0);
  assert.equal(spaceSize(s).exact, 1n);
  const { arch } = resolveArchitecture(undefined, s);
  const d = decode(s, arch);
  const tcns = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  assert.deepEqual(
    d.stages.map((st) => [(st[0]!.cfg as { expansion: number }).expansion, st[0]!.cout, st.length, st[0]!.stride]),
    tcns,
  );
  assert.equal(d.e1FirstConv, 'drop');
  assert.equal(d.stem.op, 'conv_k3_r6');
  assert.equal(d.head.op, 'conv_k1_r6');
  assert.equal(d.head.cout, 1280);
  assert.equal(d.classifier.dropout, 0.2);
});

test('fbnetv3: Table 2, ranges read as Python ranges', () => {
  const s = loadSpace('fbnetv3');
  const vals = (k: string) => [...s.dims.find((d) => d.key === k)!.values];
  assert.deepEqual(vals('resolution'), [224, 232, 240, 248, 256, 264]);
  assert.deepEqual(vals('stem.channels'), [16, 18, 20, 22]);
  assert.deepEqual(vals('stage1.depth'), [1, 2, 3]);
  assert.deepEqual(vals('stage1.expansion'), [1]);
  assert.deepEqual(vals('stage2.expansionFirst'), [4, 5, 6]);
  assert.deepEqual(vals('stage2.expansion'), [2, 3, 4]);
  assert.deepEqual(vals('stage5.depth'), [6, 7, 8, 9]);
  assert.deepEqual(vals('stage3.se'), [true]);
  assert.deepEqual(vals('stage4.se'), [false]);
  assert.deepEqual(vals('stage6.act'), ['hswish']);
  assert.deepEqual(vals('stage7.expansion'), [6]);
  assert.deepEqual(vals('recipe.optimizer'), ['rmsprop', 'sgd']);
  assert.deepEqual(vals('recipe.lr'), [0.02, 0.021, 0.022, 0.023, 0.024, 0.025, 0.026, 0.027, 0.028, 0.029]);
  assert.equal(vals('recipe.weightDecay')[0], 7e-6);
  assert.equal(vals('recipe.mixup').length, 41);
  // Sizes by counting the table by hand: res 6, stem 4, stage1 k2*c4*n3, stages 2-6 k2*f3*e3*c*n, stage7 k2*c11.
  const stage = (c: number, n: number) => 2n * 3n * 3n * BigInt(c) * BigInt(n);
  const arch =
    6n * 4n * (2n * 4n * 3n) * stage(3, 3) * stage(6, 3) * stage(7, 4) * stage(12, 4) * stage(11, 4) * (2n * 11n);
  const size = spaceSize(s);
  assert.equal(size.archExact, arch);
  assert.equal(size.recipeExact, 2n * 10n * 14n * 2n * 30n * 21n * 41n);
  assert.ok(Math.abs(Math.log10(Number(arch)) - 17) < 0.5, 'about 10^17 architectures');
  assert.ok(Math.abs(size.log10 - Math.log10(Number(arch) * Number(size.recipeExact))) < 1e-9);
  const d = decode(
    s,
    resolveArchitecture(
      'r256-stem16/k5-c18-n1/k3-f6-e2-c24-n4/k3-f4-e4-c40-n4/k5-f5-e3-c64-n6/k5-f6-e3-c112-n7/k3-f4-e2-c192-n6/k5-c200/' +
        'optimizer=sgd-lr=0.025-weightDecay=0.00001-ema=1-dropout=0.1-dropPath=0.2-mixup=0.3',
      s,
    ).arch,
  );
  assert.deepEqual(d.input, [3, 256, 256]);
  assert.equal(d.stages[1]!.length, 4);
  assert.deepEqual(
    d.stages[1]!.map((l) => l.op),
    ['ir_k3_e6_hs', 'ir_k3_e2_hs', 'ir_k3_e2_hs', 'ir_k3_e2_hs'],
  );
  assert.equal(d.stages[2]![0]!.op, 'ir_k3_e4_se_hs');
  assert.equal(d.head.op, 'mbpool_e6_hs');
  assert.equal(d.classifier.dropout, 0.1);
  assert.equal(d.dropPath, 0.2);
});

test('fbnet-s: the CPU-sized FBNet space', () => {
  const s = loadSpace('fbnet-s');
  assert.deepEqual(s.input, [3, 32, 32]);
  assert.equal(s.searchDims.length, 9);
  for (const d of s.searchDims) assert.deepEqual([...d.values], CANDIDATES);
  assert.equal(spaceSize(s).exact, 9n ** 9n);
  const { arch } = resolveArchitecture('fbnet-s-baseline');
  assert.equal(formatIndices(s, arch), '0-3-3-3-3-3-3-3-3');
  const d = decode(s, arch);
  assert.equal(d.stem.stride, 1);
  // 28x28 single-channel inputs (Fashion-MNIST) through --input.
  const m = decode(s, arch, { input: parseInputShape('1x28x28'), classes: 10 });
  assert.deepEqual(m.input, [1, 28, 28]);
  assert.equal(m.stem.cin, 1);
});

test('registry: named architectures resolve, unknown names explain themselves', () => {
  const names = namedArchitectures()
    .map((a) => a.name)
    .sort();
  assert.deepEqual(names, [
    'fbnet-a',
    'fbnet-b',
    'fbnet-c',
    'fbnet-s-baseline',
    'fbnetv3-s-base',
    'mobilenetv2',
    'nse-s-baseline',
    'nse-s-twobranch',
  ]);
  assert.equal(resolveArchitecture('fbnet-b', 'fbnet').name, 'fbnet-b');
  assert.throws(() => resolveArchitecture('fbnet-a', 'fbnet-s'), /belongs to space 'fbnet', not 'fbnet-s'/);
  assert.throws(() => loadSpace('nope'), /unknown space 'nope'.*fbnet, fbnetv3, mobilenetv2, fbnet-s/);
  assert.throws(() => resolveArchitecture(undefined, 'fbnet'), /has many architectures/);
  // A registered arch and its compact string are the same thing.
  const a = resolveArchitecture('fbnet-a');
  assert.deepEqual(resolveArchitecture(formatArch(a.space, a.arch), 'fbnet').arch, a.arch);
});

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-space-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const GOOD = `
style: layerwise
name: tiny
input: 3x16x16
classes: 5
e1FirstConv: keep
stem: { op: conv_k3, channels: 8, stride: 1 }
candidates: [ir_k3_e1, ir_k3_e3, skip]
stages:
  - { channels: 8, repeats: 1, stride: 1 }
  - { channels: 16, repeats: 2, stride: 2, ops: [ir_k5_e3_se, ir_k3_e6] }
head: { op: conv_k1, channels: 32 }
`;

test('a user space file loads by path', () => {
  const f = tmpFile('tiny.yaml', GOOD);
  const s = loadSpace(f);
  assert.equal(s.name, 'tiny');
  assert.equal(spaceSize(s).exact, 3n * 2n * 2n);
  assert.deepEqual(
    s.searchDims.map((d) => d.key),
    ['layer1', 'layer2', 'layer3'],
  );
  const j = tmpFile('tiny.json', JSON.stringify(require('yaml').parse(GOOD)));
  assert.deepEqual(loadSpaceFile(j).dims, s.dims);
});

test('malformed space files: errors name the file, the field path and the problem', () => {
  const cases: Array<[string, RegExp]> = [
    [
      GOOD.replace('channels: 16, repeats: 2', 'channels: "16", repeats: 2'),
      /stages\[1\]\.channels: .*expected number/,
    ],
    [GOOD.replace('repeats: 1,', 'repeat: 1,'), /stages\[0\]/],
    [GOOD.replace('e1FirstConv: keep', 'e1FirstConv: maybe'), /e1FirstConv: .*keep.*drop/],
    [GOOD.replace('e1FirstConv: keep\n', ''), /e1FirstConv/],
    [
      GOOD.replace('ir_k3_e3, skip]', 'ir_k3_e3, ir_k4_e1]'),
      /candidates\[2\]: invalid op name 'ir_k4_e1'[\s\S]*ir_k<k>_e<e>/,
    ],
    [
      GOOD.replace('ops: [ir_k5_e3_se, ir_k3_e6]', 'ops: [ir_k5_e3_se, mbconv]'),
      /stages\[1\]\.ops\[1\]: invalid op name 'mbconv'/,
    ],
    [GOOD.replace('input: 3x16x16', 'input: 3x16'), /input: .*CxHxW/],
    [GOOD.replace('style: layerwise', 'style: cellwise'), /style/],
    [GOOD.replace('op: conv_k1', 'op: skip'), /head\.op: op 'skip' is a skip/],
    [GOOD.replace('candidates: [ir_k3_e1, ir_k3_e3, skip]', 'candidates: [ir_k3_e1_g3, skip]'), /groups 3/],
    [GOOD + 'architectures:\n  best: ir_k3_e1/ir_k5_e3_se-nope\n', /architectures\.best: .*token 3 'nope'/],
    ['style: layerwise\nname: [1, 2\n', /not valid YAML/],
  ];
  for (const [text, re] of cases) {
    const f = tmpFile('bad.yaml', text);
    assert.throws(
      () => loadSpaceFile(f),
      (err: Error) => {
        assert.match(err.message, /invalid space file .*bad\.yaml/);
        assert.match(err.message, re);
        return true;
      },
      `expected ${re} for:\n${text}`,
    );
  }
  assert.throws(() => spaceFromText('{}', 'x.json'), /invalid space file x\.json:\n.*style/);
  assert.throws(
    () => spaceFromData({ ...require('yaml').parse(GOOD), stages: [{ channels: 8, repeats: 1, stride: 1, ops: [] }] }),
    /stages\[0\]\.ops: .*(too small|>=1)/i,
  );
  const { candidates: _c, ...noCandidates } = require('yaml').parse(GOOD);
  assert.throws(
    () =>
      spaceFromData({
        ...noCandidates,
        style: 'stagewise',
        stages: [{ kernel: { range: [3, 3] }, expansion: 1, channels: 8, depth: 1, stride: 1 }],
      }),
    /stages\[0\]\.kernel: range \[3, 3\] is empty/,
  );
});

test('a space that searches the resolution takes the channels from the input and the size from the architecture', () => {
  const sp = loadSpace('fbnetv3');
  const arch = defaultArch(sp);
  const res = arch.resolution as number;
  assert.equal(typeof res, 'number');
  const d = decode(sp, arch, { input: [1, 28, 28], classes: 10 });
  assert.deepEqual(d.input, [1, res, res]);
  assert.equal(d.stem.cin, 1);
});
