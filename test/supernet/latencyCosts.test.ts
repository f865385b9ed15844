// Per-candidate latencies from a lookup table (made-up timings, nothing is timed): fixed + the
// chosen candidates' entries equals predictLatency for random architectures of the supernet, on
// the tiny test space, fbnet-s at 1x28x28 and fbnet (whose head width is a searched dimension the
// supernet holds at its first value); a table for another space, input or class count is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictLatency } from '../../src/latency';
import { Rng } from '../../src/random/rng';
import { architectureCost, checkCostsMatchLayout } from '../../src/supernet/candidateCosts';
import { archOfIndices, supernetLayout } from '../../src/supernet/layout';
import { latencyCandidateCosts } from '../../src/supernet/latencyCosts';
import { loadSpace } from '../../src/space/registry';
import type { Space } from '../../src/space/types';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { tinySpace } from '../helpers/tinySpace';

async function checkExact(space: Space, input: [number, number, number] | undefined, archs: number): Promise<void> {
  const table = await fakeLatencyTable(space, input, 123.25);
  const costs = latencyCandidateCosts(table, space, input ? { input } : {});
  const layout = supernetLayout(space, input);
  assert.equal(costs.unit, 'us');
  assert.equal(costs.perLayer.length, layout.layers.length);
  layout.layers.forEach((l, n) => assert.equal(costs.perLayer[n]!.length, l.candidates.length, l.key));
  checkCostsMatchLayout(costs, layout);
  const rng = new Rng(11);
  for (let k = 0; k < archs; k++) {
    const idx = layout.layers.map((l) => rng.int(l.candidates.length));
    const arch = archOfIndices(layout, idx);
    const predicted = predictLatency(table, space, arch);
    const sum = architectureCost(costs, idx);
    assert.ok(
      Math.abs(sum - predicted) < 1e-6 * predicted,
      `${space.name} ${idx.join('-')}: fixed + sum ${sum} vs predictLatency ${predicted}`,
    );
  }
}

test('latency costs: fixed + the chosen entries = predictLatency (tiny space, with a fixed layer)', async () => {
  await checkExact(tinySpace(), undefined, 27);
  const table = await fakeLatencyTable(tinySpace());
  const costs = latencyCandidateCosts(table, tinySpace());
  assert.deepEqual(costs.perLayer[3], [0], 'a layer with one candidate: its time is in fixed');
  assert.match(costs.source!, /latency table \(fake, 1 thread/);
});

test('latency costs: fbnet-s at 1x28x28 and fbnet (head width held at its first value), random architectures', async () => {
  await checkExact(loadSpace('fbnet-s'), [1, 28, 28], 200);
  const fbnet = loadSpace('fbnet');
  assert.ok(
    supernetLayout(fbnet).heldFixed.some((h) => h.startsWith('head.channels')),
    'fbnet searches the head width',
  );
  await checkExact(fbnet, undefined, 50);
});

test('latency costs: a table for another space, input or class count is refused', async () => {
  const fbs = loadSpace('fbnet-s');
  const t28 = await fakeLatencyTable(fbs, [1, 28, 28]);
  assert.throws(() => latencyCandidateCosts(t28, tinySpace()), /built for space 'fbnet-s', not 'tiny-fbnet'/);
  assert.throws(() => latencyCandidateCosts(t28, fbs, { input: [3, 32, 32] }), /built for input 1x28x28, not 3x32x32/);
  assert.throws(() => latencyCandidateCosts(t28, fbs, { input: [1, 28, 28], classes: 100 }), /10 classes, not 100/);
  assert.doesNotThrow(() => latencyCandidateCosts(t28, fbs, { input: [1, 28, 28], classes: 10 }));
});
