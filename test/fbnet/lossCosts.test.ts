// The costs FBNet's loss accepts (checkCandidateCosts): the structural check of any cost table
// with its messages, and LAT > 1 for every architecture so that (log LAT)^beta is defined; fbnet-s
// at 1x28x28 is refused in MMAC and accepted in kMAC. No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpace } from '../../src/space/registry';
import { flopsCandidateCosts, type CandidateCosts } from '../../src/supernet/candidateCosts';
import { supernetLayout } from '../../src/supernet/layout';
import { checkCandidateCosts } from '../../src/search/fbnet/loss';
import { tinySpace } from '../helpers/tinySpace';

test('the loss needs LAT > 1: fbnet-s at 1x28x28 is refused in MMAC with the unit advice, accepted in kMAC', () => {
  const fbnetS = loadSpace('fbnet-s');
  const layout = supernetLayout(fbnetS, [1, 28, 28], 10);
  // In MMAC the cheapest fbnet-s network at 28x28 costs 0.52: log LAT would turn negative.
  assert.throws(
    () => checkCandidateCosts(flopsCandidateCosts(fbnetS, [1, 28, 28], 10), layout),
    /cheapest architecture costs 0\.5233 MMAC.*kMAC/s,
  );
  checkCandidateCosts(flopsCandidateCosts(fbnetS, [1, 28, 28], 10, { unit: 'kMAC' }), layout);
});

test('checkCandidateCosts keeps the structural messages (it runs checkCostsMatchLayout first)', () => {
  const layout = supernetLayout(tinySpace());
  const good = flopsCandidateCosts(tinySpace(), undefined, undefined, { unit: 'kMAC' });
  const bad = (c: Partial<CandidateCosts>) => () => checkCandidateCosts({ ...good, ...c }, layout);
  assert.throws(bad({ perLayer: good.perLayer.slice(1) }), /3 layers of costs, but the space has 4 layers/);
  assert.throws(
    bad({ perLayer: [[1, 2], ...good.perLayer.slice(1)] }),
    /layer1 has 2 costs but 3 candidates \(ir_k3_e1, ir_k3_e3, skip\)/,
  );
  assert.throws(bad({ perLayer: [[1, NaN, 2], ...good.perLayer.slice(1)] }), /layer1 candidate 'ir_k3_e3' costs NaN/);
  assert.throws(bad({ fixed: Infinity }), /fixed cost is Infinity/);
  assert.throws(bad({ unit: 'ms' as never }), /unknown unit 'ms'/);
});
