import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memory, noGrad, randn, tidy, manualSeed } from '../../src/engine';
import { F } from '../../src/nn';
import { buildBlock, registeredOpTypes, blockFactory } from '../../src/blocks/registry';
import { InvertedResidual } from '../../src/blocks/invertedResidual';
import { Skip, ConvBnAct, MbPool } from '../../src/blocks/simpleBlocks';

const childNames = (m: { children(): [string, unknown][] }) => m.children().map(([n]) => n);

function withMemoryCheck(fn: () => void): void {
  const before = memory().liveTensors;
  fn();
  assert.equal(memory().liveTensors, before, 'live tensors changed');
}

test('inverted residual: children named by role, shapes and residual as in fbnet.md', () => {
  withMemoryCheck(() => {
    manualSeed(0);
    const b = buildBlock('ir_k5_e6', 16, 16, 1, { e1FirstConv: 'keep' }) as InvertedResidual;
    assert.deepEqual(childNames(b), ['conv_pw', 'bn1', 'act1', 'conv_dw', 'bn2', 'act2', 'conv_pwl', 'bn3']);
    assert.deepEqual(b.convPw!.weight.shape, [96, 16, 1, 1]);
    assert.deepEqual(b.convDw.weight.shape, [96, 1, 5, 5]);
    assert.equal(b.convDw.groups, 96);
    assert.deepEqual(b.convDw.padding, [2, 2]);
    assert.deepEqual(b.convPwl.weight.shape, [16, 96, 1, 1]);
    assert.equal(b.hasResidual, true);
    // With bn3's scale and shift zero, the branch outputs zeros: the block must return its input.
    b.eval();
    noGrad(() => {
      b.bn3.weight.fill_(0);
      b.bn3.bias.fill_(0);
    });
    tidy(() => {
      const x = randn([2, 16, 8, 8]);
      const y = b.forward(x);
      assert.deepEqual(y.shape, [2, 16, 8, 8]);
      assert.ok(y.sub(x).abs().max().item() < 1e-6);
    });
    b.dispose();
  });
});

test('inverted residual with stride 2 or new width has no residual; output shape follows k/2 padding', () => {
  withMemoryCheck(() => {
    const b = buildBlock('ir_k3_e3', 16, 24, 2, { e1FirstConv: 'keep' }) as InvertedResidual;
    assert.equal(b.hasResidual, false);
    tidy(() => assert.deepEqual(b.forward(randn([1, 16, 9, 9])).shape, [1, 24, 5, 5]));
    b.dispose();
  });
});

test('g2 candidate: grouped 1x1 convs and a channel shuffle after the first', () => {
  withMemoryCheck(() => {
    const b = buildBlock('ir_k3_e1_g2', 16, 16, 1, { e1FirstConv: 'keep' }) as InvertedResidual;
    assert.deepEqual(childNames(b), ['conv_pw', 'bn1', 'act1', 'shuffle', 'conv_dw', 'bn2', 'act2', 'conv_pwl', 'bn3']);
    assert.equal(b.convPw!.groups, 2);
    assert.equal(b.convPwl.groups, 2);
    assert.deepEqual(b.convPw!.weight.shape, [16, 8, 1, 1]);
    // The shuffle is F.channelShuffle: [N, g, C/g, H, W] with axes 1 and 2 swapped.
    tidy(() => {
      const x = randn([1, 4, 1, 1]);
      const y = b.shuffle!.forward(x).toArray();
      const v = x.toArray();
      assert.deepEqual(y, [v[0], v[2], v[1], v[3]]);
      assert.deepEqual(F.channelShuffle(x, 2).toArray(), y);
    });
    b.dispose();
  });
});

test('e = 1 reading: drop leaves out the first 1x1 conv, keep runs it', () => {
  withMemoryCheck(() => {
    const keep = buildBlock('ir_k3_e1', 32, 16, 1, { e1FirstConv: 'keep' }) as InvertedResidual;
    const drop = buildBlock('ir_k3_e1', 32, 16, 1, { e1FirstConv: 'drop' }) as InvertedResidual;
    assert.ok(keep.convPw);
    assert.equal(drop.convPw, null);
    assert.deepEqual(childNames(drop), ['conv_dw', 'bn2', 'act2', 'conv_pwl', 'bn3']);
    assert.equal(keep.parameterCount() - drop.parameterCount(), 32 * 32 + 2 * 32);
    tidy(() => assert.deepEqual(drop.forward(randn([1, 32, 6, 6])).shape, [1, 16, 6, 6]));
    keep.dispose();
    drop.dispose();
  });
});

test('squeeze-excite and activation suffix', () => {
  withMemoryCheck(() => {
    const b = buildBlock('ir_k3_e4_se_hs', 24, 24, 1, { e1FirstConv: 'keep' }) as InvertedResidual;
    assert.deepEqual(childNames(b), ['conv_pw', 'bn1', 'act1', 'conv_dw', 'bn2', 'act2', 'se', 'conv_pwl', 'bn3']);
    assert.equal(b.act1!.kind, 'hswish');
    assert.equal(b.se!.gate.kind, 'hsigmoid');
    assert.deepEqual(b.se!.convReduce.weight.shape, [24, 96, 1, 1]); // 96 / 4 = 24
    tidy(() => assert.deepEqual(b.forward(randn([2, 24, 5, 5])).shape, [2, 24, 5, 5]));
    b.dispose();
  });
});

test('skip: identity when shapes match, else 1x1 conv stride s + BN + ReLU', () => {
  withMemoryCheck(() => {
    const id = buildBlock('skip', 24, 24, 1, { e1FirstConv: 'keep' }) as Skip;
    assert.equal(id.isIdentity, true);
    assert.equal(id.parameterCount(), 0);
    tidy(() => {
      const x = randn([1, 24, 4, 4]);
      assert.deepEqual(id.forward(x).toArray(), x.toArray());
    });
    const proj = buildBlock('skip', 16, 24, 2, { e1FirstConv: 'keep' }) as Skip;
    assert.deepEqual(childNames(proj), ['conv', 'bn', 'act']);
    assert.deepEqual(proj.conv!.weight.shape, [24, 16, 1, 1]);
    tidy(() => {
      const y = proj.forward(randn([1, 16, 7, 7]));
      assert.deepEqual(y.shape, [1, 24, 4, 4]);
      assert.ok(y.min().item() >= 0, 'ReLU output');
    });
    id.dispose();
    proj.dispose();
  });
});

test('conv and mbpool heads', () => {
  withMemoryCheck(() => {
    const c = buildBlock('conv_k3_r6', 3, 16, 2, { e1FirstConv: 'keep' }) as ConvBnAct;
    assert.deepEqual(childNames(c), ['conv', 'bn', 'act']);
    tidy(() => {
      const y = c.forward(randn([1, 3, 32, 32]));
      assert.deepEqual(y.shape, [1, 16, 16, 16]);
      assert.ok(y.max().item() <= 6);
    });
    const h = buildBlock('mbpool_e6_hs', 8, 40, 1, { e1FirstConv: 'keep' }) as MbPool;
    assert.deepEqual(childNames(h), ['conv_pw', 'bn1', 'act1', 'pool', 'conv_pwl', 'act2']);
    assert.deepEqual(h.convPw.weight.shape, [48, 8, 1, 1]);
    assert.ok(h.convPwl.bias);
    tidy(() => assert.deepEqual(h.forward(randn([2, 8, 7, 7])).shape, [2, 40, 1, 1]));
    c.dispose();
    h.dispose();
  });
});

test('registry covers every op type and rejects unknown ones with the valid forms', () => {
  assert.deepEqual(registeredOpTypes().sort(), ['conv', 'ir', 'linear', 'mbpool', 'multi', 'pool', 'skip']);
  assert.throws(() => blockFactory('mbconv'), /no block registered for op type 'mbconv'[\s\S]*ir_k<k>_e<e>/);
  assert.throws(() => buildBlock('ir_k3', 8, 8, 1, { e1FirstConv: 'keep' }), /invalid op name 'ir_k3'/);
});

test('a g2 block keeps a channels_last input channels_last through its channel shuffle (later convolutions stay on the fast path)', () => {
  const before = memory().liveTensors;
  const b = buildBlock('ir_k5_e1_g2', 16, 24, 1, { e1FirstConv: 'keep' }).to({ memoryFormat: 'channels_last' });
  b.eval();
  noGrad(() =>
    tidy(() => {
      const x = randn([2, 16, 7, 7]);
      const xl = x.to({ memoryFormat: 'channels_last' });
      const s = F.channelShuffle(xl, 2);
      assert.ok(s.isMemoryFormat('channels_last'), 'the shuffle of a channels_last tensor is channels_last');
      assert.deepEqual(s.toArray(), F.channelShuffle(x, 2).toArray(), 'the same values whatever the layout');
      assert.ok(F.channelShuffle(x, 2).isMemoryFormat('contiguous'), 'an NCHW input stays NCHW');
      assert.ok(b.forward(xl).isMemoryFormat('channels_last'), 'the block output is channels_last');
    }),
  );
  b.dispose();
  assert.equal(memory().liveTensors, before);
});
