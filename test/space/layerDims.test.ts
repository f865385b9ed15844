// Which dimensions are layers: layerDims is the one answer the supernet layout and the cost
// model's additivity test share. No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpace } from '../../src/space/registry';
import { layerDims } from '../../src/space/layerDims';
import { costsAreAdditive } from '../../src/cost/costModel';
import { supernetLayout } from '../../src/supernet/layout';

test('layerDims: layer1..layerN of a layer-wise space in order, fixed layers included; none in a stage-wise space', () => {
  const fbnetS = loadSpace('fbnet-s');
  assert.deepEqual(
    layerDims(fbnetS).map((d) => d.key),
    ['layer1', 'layer2', 'layer3', 'layer4', 'layer5', 'layer6', 'layer7', 'layer8', 'layer9'],
  );
  const fbnet = loadSpace('fbnet');
  assert.equal(layerDims(fbnet).length, 22);
  assert.ok(
    fbnet.searchDims.some((d) => d.key === 'head.channels') && !layerDims(fbnet).some((d) => d.key === 'head.channels'),
  );
  assert.deepEqual(layerDims(loadSpace('fbnetv3')), []);
});

test('the layout and the additivity test read the same layers', () => {
  for (const name of ['fbnet-s', 'fbnet']) {
    const space = loadSpace(name);
    assert.deepEqual(
      supernetLayout(space).layers.map((l) => l.key),
      layerDims(space).map((d) => d.key),
    );
    const others = space.searchDims.filter((d) => !layerDims(space).includes(d) && d.group !== 'recipe');
    assert.equal(costsAreAdditive(space), others.length === 0, `${name}: ${others.map((d) => d.key).join(', ')}`);
  }
  assert.equal(costsAreAdditive(loadSpace('fbnet-s')), true);
  assert.equal(costsAreAdditive(loadSpace('fbnet')), false, 'fbnet also searches its head width');
});
