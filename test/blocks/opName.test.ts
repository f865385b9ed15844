import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOp, makeDivisible, parseOp, validOpForms } from '../../src/blocks/opName';

test('op names decode to plain configs', () => {
  assert.deepEqual(parseOp('ir_k5_e6'), { type: 'ir', kernel: 5, expansion: 6, groups: 1, se: false, act: 'relu' });
  assert.deepEqual(parseOp('ir_k5_e1_g2'), { type: 'ir', kernel: 5, expansion: 1, groups: 2, se: false, act: 'relu' });
  assert.deepEqual(parseOp('ir_k3_e4_se_hs'), {
    type: 'ir',
    kernel: 3,
    expansion: 4,
    groups: 1,
    se: true,
    act: 'hswish',
  });
  assert.deepEqual(parseOp('ir_k3_e6_r6'), { type: 'ir', kernel: 3, expansion: 6, groups: 1, se: false, act: 'relu6' });
  assert.deepEqual(parseOp('ir_k7_e3_g4_se_sw'), {
    type: 'ir',
    kernel: 7,
    expansion: 3,
    groups: 4,
    se: true,
    act: 'swish',
  });
  assert.deepEqual(parseOp('skip'), { type: 'skip' });
  assert.deepEqual(parseOp('conv_k3_hs'), { type: 'conv', kernel: 3, act: 'hswish' });
  assert.deepEqual(parseOp('mbpool_e6_hs'), { type: 'mbpool', expansion: 6, act: 'hswish' });
  assert.deepEqual(parseOp('pool'), { type: 'pool' });
  assert.deepEqual(parseOp('linear'), { type: 'linear' });
});

test('formatOp inverts parseOp for every canonical name', () => {
  const names = ['skip', 'pool', 'linear'];
  for (const k of [1, 3, 5, 7]) {
    names.push(`conv_k${k}`, `conv_k${k}_r6`, `conv_k${k}_hs`, `conv_k${k}_sw`);
    for (const e of [1, 3, 6])
      for (const g of ['', '_g2'])
        for (const se of ['', '_se'])
          for (const a of ['', '_r6', '_hs', '_sw']) names.push(`ir_k${k}_e${e}${g}${se}${a}`);
  }
  for (const n of names) assert.equal(formatOp(parseOp(n)), n);
});

test('unknown and malformed names list the valid forms', () => {
  for (const bad of [
    'mbconv_k3',
    'ir_k3',
    'ir_e6_k3',
    'ir_k4_e6',
    'ir_k3_e6_xx',
    'skip_k3',
    'ir_k3_e6_g1',
    'ir_k3_e0',
    '',
  ]) {
    assert.throws(
      () => parseOp(bad),
      (err: Error) => {
        assert.match(err.message, new RegExp(`invalid op name '${bad}'`));
        assert.match(err.message, /ir_k<k>_e<e>\[_g<g>\]\[_se\]/);
        assert.match(err.message, /skip/);
        assert.match(err.message, /mbpool_e<e>/);
        return true;
      },
    );
  }
  assert.match(validOpForms(), /r6 = relu6, hs = hswish, sw = swish/);
});

test('makeDivisible follows the MobileNet rule', () => {
  assert.equal(makeDivisible(24 / 4, 8), 8);
  assert.equal(makeDivisible(96 / 4, 8), 24);
  assert.equal(makeDivisible(100 / 4, 8), 24);
  assert.equal(makeDivisible(10, 8), 16); // 8 < 0.9 * 10 -> 16
  assert.equal(makeDivisible(36, 8), 40);
});
