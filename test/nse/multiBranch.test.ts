// Multi-branch layers (a+b): the op grammar, the space format and architecture strings, the
// builder, exact FLOPs / parameters against a count over the built network, latency-table keys
// (the branches' keys plus the add), checkpoints; and single-op spaces left exactly as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatOp, parseOp } from '../../src/blocks/opName';
import { archCost, costBreakdown } from '../../src/cost';
import { archOps, predictLatencyBreakdown, requiredOps } from '../../src/latency';
import { Rng } from '../../src/random/rng';
import { decode, loadSpace, resolveArchitecture, spaceFromData } from '../../src/space';
import { archIndices, formatArch, formatIndices, parseArch } from '../../src/space/archFormat';
import { spaceFingerprint } from '../../src/space/fingerprint';
import type { Arch, Space } from '../../src/space/types';
import { sampleUniformN, spaceSize } from '../../src/arch';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { noLeaks } from '../helpers/leakCheck';

/** n random architectures of a multi-branch space: every layer 1..branches distinct candidates, canonical order. */
function randomBranchArchs(space: Space, n: number, seed: number): Arch[] {
  const rng = new Rng(seed);
  return sampleUniformN(space, n, seed).map((a) => {
    const arch = { ...a };
    for (const d of space.dims) {
      if (!d.branches) continue;
      const k = 1 + rng.int(d.branches);
      const picked = new Set<string>();
      while (picked.size < k) picked.add(String(d.values[rng.int(d.values.length)]));
      arch[d.key] = formatOp(parseOp([...picked].sort().join('+')));
    }
    return arch;
  });
}

test('op grammar: a+b is a multi-branch op, written once, branches distinct and sorted', () => {
  const cfg = parseOp('ir_k3_e3+ir_k5_e1_se');
  assert.equal(cfg.type, 'multi');
  assert.deepEqual(cfg.type === 'multi' && cfg.branches.map(formatOp), ['ir_k3_e3', 'ir_k5_e1_se']);
  assert.equal(formatOp(cfg), 'ir_k3_e3+ir_k5_e1_se');
  assert.equal(formatOp(parseOp('ir_k3_e3+ir_k5_e1+skip')), 'ir_k3_e3+ir_k5_e1+skip');
  assert.throws(() => parseOp('ir_k5_e1+ir_k3_e3'), /write it as 'ir_k3_e3\+ir_k5_e1'/);
  assert.throws(() => parseOp('ir_k3_e3+ir_k3_e3'), /appears twice/);
  assert.throws(() => parseOp('ir_k3_e3+'), /empty branch/);
  assert.throws(() => parseOp('ir_k3_e3+mbpool_e6'), /branch 'mbpool_e6' is a mbpool/);
  assert.throws(() => parseOp('ir_k3_e3+ir_k4_e1'), /kernel 4 must be odd/);
  // Single ops are untouched.
  assert.equal(parseOp('ir_k5_e6').type, 'ir');
});

test('nse-s: multi-branch architecture strings round-trip; wrong sets are refused with the reason', () => {
  const s = loadSpace('nse-s');
  for (const arch of randomBranchArchs(s, 50, 3)) {
    const text = formatArch(s, arch);
    assert.deepEqual(parseArch(s, text), arch);
    assert.equal(formatArch(s, parseArch(s, text)), text);
  }
  const { arch } = resolveArchitecture('nse-s-twobranch', s);
  assert.equal(arch.layer3, 'ir_k3_e6+ir_k5_e3');
  // 19 ops, up to 3 branches: 19 + C(19,2) + C(19,3) = 1159 values per layer.
  assert.equal(spaceSize(s).exact, 1159n ** 6n);
  assert.throws(() => formatIndices(s, arch), /multi-branch layer: choice indices cannot write it/);
  assert.throws(() => archIndices(s, arch), /multi-branch layer/);
  const bad = (token: string) => `ir_k3_e1/ir_k3_e6-${token}/ir_k3_e6-ir_k3_e6/ir_k3_e6`;
  assert.throws(() => parseArch(s, bad('ir_k5_e3+ir_k3_e6')), /canonical order: write 'ir_k3_e6\+ir_k5_e3'/);
  assert.throws(
    () => parseArch(s, bad('ir_k3_e1+ir_k3_e3+ir_k3_e6+skip')),
    /has 4 branches; the space allows at most 3/,
  );
  assert.throws(() => parseArch(s, bad('ir_k3_e6+ir_k9_e3')), /'ir_k9_e3'.*not candidates/);
  // A space without `branches` takes one op per layer.
  const fb = loadSpace('fbnet-s');
  assert.throws(
    () => parseArch(fb, 'ir_k3_e1/ir_k3_e6-ir_k3_e3+ir_k3_e6/ir_k3_e6-ir_k3_e6-ir_k3_e6/ir_k3_e6-ir_k3_e6-ir_k3_e6'),
    /not a value of 'layer3'/,
  );
  // With `branches`, candidates are single ops.
  assert.throws(
    () => spaceFromData({ ...s.source, name: 'x', candidates: ['ir_k3_e1', 'ir_k3_e1+skip'] }),
    /multi-branch op; with `branches: 3` the candidates are single ops/,
  );
});

test('single-op spaces are unchanged: fingerprints and latency keys as before multi-branch layers', () => {
  // Computed on main before multi-branch layers (a163b96): equal means checkpoints, tables and studies still fit.
  const before: Record<string, [string, number]> = {
    fbnet: ['a5def5f0df8fbe6b', 115],
    'fbnet-s': ['477364da13b985a2', 67],
    'fbnetv3-s': ['17806fc83b030dcf', 260],
    mobilenetv2: ['4161b03ac352083b', 16],
  };
  for (const [name, [fp, keys]] of Object.entries(before)) {
    const s = loadSpace(name);
    assert.equal(spaceFingerprint(s), fp, name);
    assert.equal(requiredOps(s).ops.length, keys, name);
    assert.ok(s.dims.every((d) => d.branches === undefined && !('branches' in d)));
  }
});

test(
  'cost: a multi-branch layer costs the sum of its branches; FLOPs and params equal a count over the built network',
  noLeaks(async () => {
    const { randn, tidy } = await import('../../src/engine');
    const { Conv2d, Linear } = await import('../../src/nn');
    const { buildNetwork } = await import('../../src/builder/buildNetwork');
    const s = loadSpace('nse-s');
    const convFwd = Conv2d.prototype.forward;
    const linFwd = Linear.prototype.forward;
    let macs = 0;
    Conv2d.prototype.forward = function (this: InstanceType<typeof Conv2d>, x) {
      const y = convFwd.call(this, x);
      const [, cPerGroup, kh, kw] = this.weight.shape as [number, number, number, number];
      macs += (y.size / y.shape[0]!) * cPerGroup * kh * kw;
      return y;
    };
    Linear.prototype.forward = function (this: InstanceType<typeof Linear>, x) {
      const y = linFwd.call(this, x);
      macs += (y.size / y.shape[0]!) * this.weight.shape[1]!;
      return y;
    };
    try {
      const archs = randomBranchArchs(s, 8, 5);
      assert.ok(archs.some((a) => Object.values(a).some((v) => String(v).includes('+'))));
      for (const arch of archs) {
        const net = buildNetwork(s, arch, { input: [1, 28, 28] });
        net.eval();
        macs = 0;
        tidy(() => assert.deepEqual(net.forward(randn([2, 1, 28, 28])).shape, [2, 10]));
        const c = archCost(s, arch, { input: [1, 28, 28] });
        assert.equal(c.flops, macs, formatArch(s, arch));
        assert.equal(c.params, net.parameterCount());
        net.dispose();
      }
      // The sum rule, layer by layer.
      const { arch } = resolveArchitecture('nse-s-twobranch', s);
      const rows = costBreakdown(decode(s, arch));
      const one = (op: string) =>
        costBreakdown(decode(s, { ...arch, layer3: op })).find((r) => r.name === 'stages.1.1')!;
      const both = rows.find((r) => r.name === 'stages.1.1')!;
      assert.equal(both.op, 'ir_k3_e6+ir_k5_e3');
      assert.equal(both.flops, one('ir_k3_e6').flops + one('ir_k5_e3').flops);
      assert.equal(both.params, one('ir_k3_e6').params + one('ir_k5_e3').params);
    } finally {
      Conv2d.prototype.forward = convFwd;
      Linear.prototype.forward = linFwd;
    }
  }),
);

test(
  'builder: branches are children ops.<op>; the output is the sum of the branches run alone',
  noLeaks(async () => {
    const { randn, tidy } = await import('../../src/engine');
    const { buildBlock } = await import('../../src/blocks/registry');
    const multi = buildBlock('ir_k3_e3+skip', 8, 8, 1, { e1FirstConv: 'drop' });
    const names = [...multi.stateDict().keys()];
    assert.ok(names.includes('ops.ir_k3_e3.conv_dw.weight'), names.join(', '));
    assert.ok(
      names.every((n) => n.startsWith('ops.ir_k3_e3.')),
      'an identity skip has no weights',
    );
    const single = buildBlock('ir_k3_e3', 8, 8, 1, { e1FirstConv: 'drop' });
    const own = new Map([...multi.stateDict()].map(([k, v]) => [k.slice('ops.ir_k3_e3.'.length), v]));
    single.loadStateDict(own);
    multi.eval();
    single.eval();
    tidy(() => {
      const x = randn([2, 8, 6, 6]);
      const diff = multi.forward(x).sub(single.forward(x).add(x)).abs().max().item();
      assert.ok(diff < 1e-5, `sum of branches: max diff ${diff}`);
    });
    multi.dispose();
    single.dispose();
  }),
);

test("latency: a multi-branch layer is timed as its branches (the single ops' keys) plus one add per extra branch", async () => {
  const s = loadSpace('nse-s');
  const table = await fakeLatencyTable(s);
  const addKeys = Object.keys(table.entries).filter((k) => k.startsWith('op=add,'));
  assert.equal(addKeys.length, 4, `one add per layer output shape: ${addKeys.join(' ')}`);
  const base = resolveArchitecture('nse-s-baseline', s).arch;
  const three = { ...base, layer3: 'ir_k3_e6+ir_k5_e3+skip' };
  const ops = archOps(s, three).filter((o) => o.layer === 'stages.1.1');
  assert.deepEqual(
    ops.map((o) => o.spec.op),
    ['ir_k3_e6', 'ir_k5_e3', 'skip', 'add', 'add'],
  );
  const us = (a: Arch) => predictLatencyBreakdown(table, s, a).totalUs;
  const layer = (op: string) =>
    predictLatencyBreakdown(table, s, { ...base, layer3: op }).layers.find((l) => l.layer === 'stages.1.1')!.us;
  const add = table.entries['op=add,in=24x16x16,cin=24,cout=24,s=1']!.us;
  const rest = us(base) - layer('ir_k3_e6');
  assert.ok(Math.abs(us(three) - (rest + layer('ir_k3_e6') + layer('ir_k5_e3') + layer('skip') + 2 * add)) < 1e-9);
});

test(
  'latency: the engine target times the add',
  noLeaks(async () => {
    const { EngineTarget } = await import('../../src/latency/engineTarget');
    const t = new EngineTarget({ hostname: false });
    const r = await t.measure(
      { kind: 'op', spec: { op: 'add', input: [8, 4, 4], cin: 8, cout: 8, stride: 1 } },
      [8, 4, 4],
      {
        warmup: 1,
        repeats: 3,
      },
    );
    assert.ok(r.medianUs > 0 && r.runs >= 3);
  }),
);

test(
  'checkpoints: a multi-branch network saves and restores (restoreNetwork) with equal outputs',
  noLeaks(async () => {
    const { randn, tidy } = await import('../../src/engine');
    const { buildNetwork } = await import('../../src/builder/buildNetwork');
    const { saveCheckpoint } = await import('../../src/train/checkpoint');
    const { restoreNetwork } = await import('../../src/train/restoreNetwork');
    const s = loadSpace('nse-s');
    const archText = s.architectures['nse-s-twobranch']!;
    const net = buildNetwork(s, parseArch(s, archText), { input: [1, 28, 28] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-mb-'));
    try {
      saveCheckpoint(
        dir,
        {
          format: 'tsnas-checkpoint/1',
          epoch: 1,
          optimizer: { kind: 'sgd', groups: [] } as never,
          run: { space: 'nse-s', arch: archText, input: [1, 28, 28], classes: 10 },
        },
        { model: net.stateDict() },
      );
      const { network } = restoreNetwork(dir);
      net.eval();
      network.eval();
      tidy(() => {
        const x = randn([2, 1, 28, 28]);
        assert.equal(net.forward(x).sub(network.forward(x)).abs().max().item(), 0);
      });
      network.dispose();
    } finally {
      net.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  "export: a latency table's add exports to ONNX and onnxruntime-node computes what the engine does",
  noLeaks(async () => {
    const { buildOpModule } = await import('../../src/latency/engineTarget');
    const { exportModule, verifyExport, EXPORT_TOLERANCE } = await import('../../src/export');
    const m = buildOpModule({ op: 'add', input: [8, 4, 4], cin: 8, cout: 8, stride: 1 });
    try {
      const { bytes, summary } = exportModule(m, [8, 4, 4], { opset: 13 });
      assert.equal(summary.opTypes.Add, 1);
      const r = await verifyExport(m, bytes, [8, 4, 4], { batch: 2 });
      assert.ok(r.maxAbsOutput > 0.01 && r.maxAbsDiff <= EXPORT_TOLERANCE, `max abs difference ${r.maxAbsDiff}`);
    } finally {
      m.dispose();
    }
  }),
);
