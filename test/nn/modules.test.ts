// The Module API and the basic layers: names, counts, modes, state dicts, memory formats,
// initialisation statistics, BatchNorm counters, squeeze-excite, dropout, Sequential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { full, manualSeed, memory, noGrad, ones, rand, randn, tidy, type Tensor } from '../../src/engine';
import {
  Activation,
  BatchNorm2d,
  Conv2d,
  DropPath,
  Dropout,
  F,
  GlobalAvgPool,
  Linear,
  ReLU,
  Sequential,
  SqueezeExcite,
  makeDivisible,
} from '../../src/nn';
import { noLeaks } from '../helpers/leakCheck';

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-6,
  atol = 1e-6,
  what = 'values',
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) assert.fail(`${what}[${i}]: ${a} != ${e}`);
  }
}

const stats = (v: number[]) => {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance), min, max };
};

function smallNet(): Sequential {
  return new Sequential(
    new Conv2d(3, 8, 3),
    new BatchNorm2d(8),
    ReLU(),
    new SqueezeExcite(8, { reducedChannels: 4 }),
    new GlobalAvgPool(),
    new Linear(8, 5),
  );
}

test(
  'namedParameters and namedBuffers use dotted PyTorch-style names',
  leakFree(() => {
    const net = smallNet();
    assert.deepEqual(
      net.namedParameters().map(([n]) => n),
      [
        '0.weight',
        '1.weight',
        '1.bias',
        '3.conv_reduce.weight',
        '3.conv_reduce.bias',
        '3.conv_expand.weight',
        '3.conv_expand.bias',
        '5.weight',
        '5.bias',
      ],
    );
    assert.deepEqual(
      net.namedBuffers().map(([n]) => n),
      ['1.running_mean', '1.running_var', '1.num_batches_tracked'],
    );
    assert.deepEqual(
      net
        .namedParameters('model')
        .slice(0, 2)
        .map(([n]) => n),
      ['model.0.weight', 'model.1.weight'],
    );
    assert.deepEqual(
      net.namedModules().map(([n]) => n),
      ['', '0', '1', '2', '3', '3.conv_reduce', '3.act', '3.conv_expand', '3.gate', '4', '5'],
    );
    // The state dict holds parameters and buffers, the tensors themselves.
    const sd = net.stateDict();
    assert.equal(sd.size, 12);
    assert.equal(sd.get('0.weight'), net.namedParameters()[0]![1]);
    assert.equal(sd.get('1.num_batches_tracked')!.dtype, 'int64');
    for (const p of net.parameters()) assert.equal(p.requiresGrad, true);
    for (const [, b] of net.namedBuffers()) assert.equal(b.requiresGrad, false);

    const named = new Sequential([
      ['stem', new Conv2d(3, 4, 1, { bias: true })],
      ['head', new Linear(4, 2, { bias: false })],
    ]);
    assert.deepEqual(
      named.namedParameters().map(([n]) => n),
      ['stem.weight', 'stem.bias', 'head.weight'],
    );
    named.dispose();
    net.dispose();
  }),
);

test(
  'parameterCount sums the trainable scalars',
  leakFree(() => {
    const net = smallNet();
    const expected = 8 * 3 * 9 + (8 + 8) + (4 * 8 + 4) + (8 * 4 + 8) + (5 * 8 + 5);
    assert.equal(net.parameterCount(), expected);
    assert.equal(
      net.parameterCount(),
      net.parameters().reduce((s, p) => s + p.size, 0),
    );
    const dw = new Conv2d(16, 16, 3, { groups: 16 });
    assert.deepEqual(dw.weight.shape, [16, 1, 3, 3]);
    assert.equal(dw.parameterCount(), 16 * 9);
    dw.dispose();
    net.dispose();
  }),
);

test(
  'train() and eval() reach every descendant',
  leakFree(() => {
    const net = new Sequential(smallNet(), new Sequential(new Dropout(0.5), new BatchNorm2d(2)));
    assert.ok(net.namedModules().every(([, m]) => m.training));
    assert.equal(net.eval(), net);
    assert.ok(net.namedModules().every(([, m]) => !m.training));
    net.train();
    assert.ok(net.namedModules().every(([, m]) => m.training));
    net.train(false);
    assert.ok(net.namedModules().every(([, m]) => !m.training));
    net.dispose();
  }),
);

test(
  'stateDict / loadStateDict round trip copies values, not tensors',
  leakFree(() => {
    manualSeed(1);
    const a = smallNet();
    const b = smallNet();
    // Give the buffers non-default values too.
    noGrad(() => {
      a.namedBuffers().forEach(([n, t]) =>
        n.endsWith('num_batches_tracked') ? t.fill_(7) : t.copy_(rand(t.shape).add(0.5)),
      );
    });
    const w0 = b.stateDict().get('0.weight')!;
    assert.notDeepEqual(w0.toArray(), a.stateDict().get('0.weight')!.toArray());
    b.loadStateDict(a.stateDict());
    for (const [name, t] of a.stateDict()) {
      const u = b.stateDict().get(name)!;
      assert.notEqual(u, t, `${name} must be copied, not shared`);
      assert.equal(u.dtype, t.dtype);
      assert.deepEqual(u.toArray(), t.toArray(), name);
    }
    // The loaded module keeps its own tensors: identity unchanged, and later edits of a don't leak in.
    assert.equal(b.stateDict().get('0.weight'), w0);
    noGrad(() => a.stateDict().get('0.weight')!.fill_(3));
    assert.ok(
      b
        .stateDict()
        .get('0.weight')!
        .toArray()
        .every((v) => v !== 3),
    );
    // Loading from a plain object works as well, and converts dtypes.
    const src: Record<string, Tensor> = {};
    for (const [n, t] of a.stateDict()) src[n] = t.to({ dtype: t.dtype === 'float32' ? 'float64' : t.dtype });
    b.loadStateDict(src);
    assert.equal(b.stateDict().get('0.weight')!.dtype, 'float32');
    assert.ok(
      b
        .stateDict()
        .get('0.weight')!
        .toArray()
        .every((v) => v === 3),
    );
    a.dispose();
    b.dispose();
  }),
);

test(
  'loadStateDict lists every missing, unexpected and mis-shaped name, and loads nothing then',
  leakFree(() => {
    const net = smallNet();
    const before = net.stateDict().get('0.weight')!.toArray();
    const sd = new Map<string, Tensor>();
    for (const [n, t] of net.stateDict()) sd.set(n, t.add(1));
    sd.delete('1.running_var');
    sd.delete('5.bias');
    sd.set('extra.weight', ones([2]));
    sd.set('3.conv_reduce.weight', ones([4, 8, 3, 3]));
    let err: Error | undefined;
    try {
      net.loadStateDict(sd);
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err instanceof Error, 'loadStateDict should throw');
    assert.match(err.message, /4 problem/);
    assert.match(err.message, /missing '1\.running_var'/);
    assert.match(err.message, /missing '5\.bias'/);
    assert.match(err.message, /unexpected 'extra\.weight'/);
    assert.match(err.message, /'3\.conv_reduce\.weight' has shape \[4,8,3,3\] but the module expects \[4,8,1,1\]/);
    assert.deepEqual(net.stateDict().get('0.weight')!.toArray(), before, 'a failed load must not change the module');

    // Non-strict: missing and unexpected names are allowed, shape mismatches never are.
    assert.throws(
      () => net.loadStateDict(sd, false),
      (e: Error) => {
        assert.match(e.message, /1 problem/);
        assert.match(e.message, /3\.conv_reduce\.weight/);
        assert.doesNotMatch(e.message, /missing|unexpected/);
        return true;
      },
    );
    sd.set('3.conv_reduce.weight', ones([4, 8, 1, 1]));
    net.loadStateDict(sd, false);
    assertAllClose(
      net.stateDict().get('0.weight')!.toArray(),
      before.map((v) => v + 1),
      1e-6,
      1e-6,
      '0.weight',
    );
    assert.ok(
      net
        .stateDict()
        .get('3.conv_reduce.weight')!
        .toArray()
        .every((v) => v === 1),
    );
    assert.ok(
      net
        .stateDict()
        .get('1.running_var')!
        .toArray()
        .every((v) => v === 1),
      'missing names keep their values',
    );
    net.dispose();
  }),
);

test(
  "to({memoryFormat: 'channels_last'}) keeps parameter identity and converts 4-D weights",
  leakFree(() => {
    manualSeed(2);
    const net = smallNet();
    const params = net.parameters();
    const buffers = net.namedBuffers().map(([, t]) => t);
    const values = params.map((p) => p.toArray());
    const x = randn([2, 3, 6, 6]);
    net.eval();
    const y0 = noGrad(() => net.forward(x)).toArray();
    assert.equal(net.to({ memoryFormat: 'channels_last' }), net);
    const after = net.parameters();
    params.forEach((p, i) => assert.equal(after[i], p, `parameter ${i} must stay the same Tensor object`));
    net.namedBuffers().forEach(([, t], i) => assert.equal(t, buffers[i]));
    for (const [name, p] of net.namedParameters()) {
      if (p.rank === 4) {
        assert.ok(p.isMemoryFormat('channels_last'), `${name} should be channels_last`);
      }
      assert.equal(p.requiresGrad, true, `${name} still requires grad`);
    }
    assert.ok(
      !net.stateDict().get('0.weight')!.isMemoryFormat('contiguous'),
      'a 3x3 conv weight is no longer NCHW-contiguous',
    );
    after.forEach((p, i) => assert.deepEqual(p.toArray(), values[i], 'values are unchanged'));
    const y1 = noGrad(() => net.forward(x.contiguous('channels_last'))).toArray();
    assertAllClose(y1, y0, 1e-5, 1e-6, 'channels_last forward');
    // Gradients still flow into the same parameter objects.
    net.train();
    net.forward(x).sum().backward();
    assert.ok(params.every((p) => p.grad !== null));
    net.zeroGrad();
    assert.ok(params.every((p) => p.grad === null));
    // And back.
    net.to({ memoryFormat: 'contiguous' });
    assert.ok(net.stateDict().get('0.weight')!.isMemoryFormat('contiguous'));
    net.dispose();
  }),
);

test(
  'Conv2d default init is Kaiming normal with fan_out (std sqrt(2 / fan_out))',
  leakFree(() => {
    manualSeed(3);
    const conv = new Conv2d(64, 256, 3);
    assert.equal(conv.bias, null);
    const s = stats(conv.weight.toArray());
    const n = conv.weight.size;
    const std = Math.sqrt(2 / (256 * 9));
    assert.ok(Math.abs(s.std / std - 1) < 0.02, `std ${s.std} vs ${std}`);
    assert.ok(Math.abs(s.mean) < (5 * std) / Math.sqrt(n), `mean ${s.mean}`);
    conv.dispose();
    // Depthwise: fan_out = out * k * k / 1 per group (as torchvision: weight.size(0) * receptive field).
    const dw = new Conv2d(512, 512, 3, { groups: 512 });
    const sd = stats(dw.weight.toArray());
    assert.ok(Math.abs(sd.std / Math.sqrt(2 / (512 * 9)) - 1) < 0.05, `depthwise std ${sd.std}`);
    dw.dispose();
    // PyTorch's own default: kaiming uniform a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias likewise.
    const td = new Conv2d(32, 128, 3, { init: 'torch-default', bias: true });
    const bound = 1 / Math.sqrt(32 * 9);
    const st = stats(td.weight.toArray());
    assert.ok(st.min >= -bound && st.max <= bound, `range [${st.min}, ${st.max}] vs ${bound}`);
    assert.ok(st.max > 0.98 * bound && st.min < -0.98 * bound);
    assert.ok(Math.abs(st.std / (bound / Math.sqrt(3)) - 1) < 0.03, `uniform std ${st.std}`);
    const sb = stats(td.bias!.toArray());
    assert.ok(sb.min >= -bound && sb.max <= bound);
    td.dispose();
  }),
);

test(
  'Linear default init: weight and bias uniform within 1/sqrt(in_features)',
  leakFree(() => {
    manualSeed(4);
    const lin = new Linear(200, 300);
    const bound = 1 / Math.sqrt(200);
    const w = stats(lin.weight.toArray());
    assert.deepEqual(lin.weight.shape, [300, 200]);
    assert.ok(w.min >= -bound && w.max <= bound, `weight in [${w.min}, ${w.max}], bound ${bound}`);
    assert.ok(w.max > 0.99 * bound && w.min < -0.99 * bound, 'weight fills its range');
    assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.02, `weight std ${w.std}`);
    const b = stats(lin.bias!.toArray());
    assert.ok(b.min >= -bound && b.max <= bound, `bias in [${b.min}, ${b.max}]`);
    assert.ok(b.max - b.min > bound, 'bias is spread over its range');
    lin.dispose();
    const head = new Linear(500, 400, { init: 'normal-0.01', bias: false });
    assert.equal(head.bias, null);
    assert.ok(Math.abs(stats(head.weight.toArray()).std / 0.01 - 1) < 0.02);
    head.dispose();
    // Linear computes x W^T + b.
    const l2 = new Linear(3, 2);
    const x = randn([4, 3]);
    const y = l2.forward(x);
    const ref = x.matmul(l2.weight.transpose(0, 1)).add(l2.bias!);
    assertAllClose(y.toArray(), ref.toArray(), 1e-6, 1e-6, 'linear');
    l2.dispose();
  }),
);

test(
  'BatchNorm2d counts batches in train mode only, and uses running stats in eval',
  leakFree(() => {
    manualSeed(5);
    const bn = new BatchNorm2d(4, { momentum: 0.2 });
    const x = randn([6, 4, 5, 5]).mul(2).add(1);
    assert.equal(bn.numBatchesTracked.toArray()[0], 0);
    bn.forward(x);
    bn.forward(x);
    assert.equal(bn.numBatchesTracked.toArray()[0], 2);
    // Running statistics: 0.8 * old + 0.2 * batch (unbiased variance), applied twice.
    const mean = x.mean([0, 2, 3]).toArray();
    const varU = x.var([0, 2, 3], true).toArray();
    assertAllClose(
      bn.runningMean.toArray(),
      mean.map((m) => m * (1 - 0.8 ** 2)),
      1e-5,
      1e-6,
      'running_mean',
    );
    assertAllClose(
      bn.runningVar.toArray(),
      varU.map((v) => 0.8 ** 2 + v * (1 - 0.8 ** 2)),
      1e-5,
      1e-6,
      'running_var',
    );
    bn.eval();
    const rm = bn.runningMean.toArray();
    const y = noGrad(() => bn.forward(x));
    bn.forward(x);
    assert.equal(bn.numBatchesTracked.toArray()[0], 2, 'eval forward must not count');
    assert.deepEqual(bn.runningMean.toArray(), rm, 'eval forward must not update statistics');
    // Eval output: (x - running_mean) / sqrt(running_var + eps) * gamma + beta with gamma 1, beta 0.
    const ref = x.sub(bn.runningMean.reshape(1, 4, 1, 1)).div(bn.runningVar.reshape(1, 4, 1, 1).add(1e-5).sqrt());
    assertAllClose(y.toArray(), ref.toArray(), 1e-5, 1e-5, 'eval batch norm');
    const z = new BatchNorm2d(3, { zeroInit: true });
    assert.deepEqual(z.weight.toArray(), [0, 0, 0]);
    z.dispose();
    bn.dispose();
  }),
);

test(
  'SqueezeExcite keeps the input shape and rescales channels by the gate',
  leakFree(() => {
    manualSeed(6);
    const se = new SqueezeExcite(32);
    assert.equal(makeDivisible(8, 8), 8);
    assert.deepEqual(se.convReduce.weight.shape, [makeDivisible(32 / 4, 8), 32, 1, 1]);
    assert.deepEqual(se.convExpand.weight.shape, [32, 8, 1, 1]);
    const x = randn([3, 32, 7, 5]);
    const y = se.forward(x);
    assert.deepEqual(y.shape, [3, 32, 7, 5]);
    const s = se.convExpand.forward(se.convReduce.forward(F.adaptiveAvgPool2d(x, 1)).relu()).hardsigmoid();
    assert.deepEqual(s.shape, [3, 32, 1, 1]);
    assertAllClose(y.toArray(), x.mul(s).toArray(), 1e-5, 1e-6, 'SE output');
    se.dispose();
    const se2 = new SqueezeExcite(12, { reducedChannels: 3, act: 'swish', gate: 'sigmoid' });
    assert.deepEqual(se2.forward(randn([2, 12, 3, 3])).shape, [2, 12, 3, 3]);
    se2.dispose();
  }),
);

test(
  'Dropout: identity in eval, drops with probability p and rescales in train',
  leakFree(() => {
    manualSeed(7);
    const x = randn([200, 500]);
    const d = new Dropout(0.3);
    d.eval();
    assert.deepEqual(d.forward(x).toArray(), x.toArray());
    d.train();
    const n = 100_000;
    const y = d.forward(ones([n])).toArray();
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / n - 0.3) < 4 * Math.sqrt((0.3 * 0.7) / n), `dropped fraction ${zeros / n}`);
    const kept = 1 / 0.7;
    assert.ok(
      y.every((v) => v === 0 || Math.abs(v - kept) < 1e-6),
      'survivors are scaled by 1/(1-p)',
    );
    assert.throws(() => new Dropout(1), /p must be in \[0, 1\)/);
    assert.deepEqual(new Dropout(0).forward(x).toArray(), x.toArray());
  }),
);

test(
  'DropPath: identity in eval, drops whole samples in train',
  leakFree(() => {
    manualSeed(8);
    const dp = new DropPath(0.25);
    const x = randn([4, 3, 2, 2]);
    dp.eval();
    assert.deepEqual(dp.forward(x).toArray(), x.toArray());
    dp.train();
    const n = 4000;
    const y = dp.forward(full([n, 2, 3, 3], 2)).toArray();
    let dropped = 0;
    for (let i = 0; i < n; i++) {
      const sample = y.slice(i * 18, (i + 1) * 18);
      if (sample.every((v) => v === 0)) dropped++;
      else
        assert.ok(
          sample.every((v) => Math.abs(v - 2 / 0.75) < 1e-5),
          `sample ${i} is partly dropped: ${sample}`,
        );
    }
    assert.ok(Math.abs(dropped / n - 0.25) < 4 * Math.sqrt((0.25 * 0.75) / n), `dropped fraction ${dropped / n}`);
    assert.throws(() => new DropPath(-0.1), /p must be in \[0, 1\)/);
  }),
);

test(
  'Sequential runs its layers in order and frees the intermediates',
  leakFree(() => {
    manualSeed(9);
    const conv = new Conv2d(3, 4, 3, { stride: 2, bias: true });
    const act = new Activation('hswish');
    const pool = new GlobalAvgPool();
    const seq = new Sequential(conv, act, pool);
    assert.equal(seq.layers.length, 3);
    assert.deepEqual(
      seq.children().map(([n]) => n),
      ['0', '1', '2'],
    );
    const x = randn([2, 3, 9, 9]);
    const live = memory().liveTensors;
    const y = seq.forward(x);
    assert.equal(memory().liveTensors, live + 1, 'only the output survives the forward');
    assert.deepEqual(y.shape, [2, 4]);
    const ref = F.adaptiveAvgPool2d(
      F.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1 }).hardswish(),
      1,
    ).flatten(1);
    assertAllClose(y.toArray(), ref.toArray(), 1e-6, 1e-6, 'sequential');
    // Empty: a copy of the input.
    const empty = new Sequential();
    const e = empty.forward(x);
    assert.notEqual(e, x);
    assert.deepEqual(e.toArray(), x.toArray());
    assert.throws(() => new Activation('nope' as never), /unknown activation 'nope'/);
    seq.dispose();
  }),
);
