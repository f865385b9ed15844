// What a DNAS study trains after the search (proposeArchitectures, pure: no engine): without a
// budget the argmax and K samples as before; with a latency budget the argmax if it fits, else
// the most probable architecture within the budget (the argmax dropped with its latency), and K
// samples conditioned on the budget; nothing fits: no proposals and the cheapest latency; the
// study's constraints still filter. On the tiny space with a table of made-up timings.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { predictLatency, type LatencyTable } from '../../src/latency';
import { parseConstraint } from '../../src/cost/constraints';
import { makeCostModel, type CostModel } from '../../src/cost/costModel';
import {
  architectureCost,
  costRange,
  flopsCandidateCosts,
  type CandidateCosts,
} from '../../src/supernet/candidateCosts';
import { checkDnasConfig, dnasOptions, proposeArchitectures, type ProposeInput } from '../../src/search/fbnet';
import { FieldError } from '../../src/io/fieldError';
import { parseArch } from '../../src/space/archFormat';
import { archOfIndices, indicesOfArch, supernetLayout } from '../../src/supernet/layout';
import { latencyCandidateCosts } from '../../src/supernet/latencyCosts';
import { argmaxArchitecture, sampleArchitectures } from '../../src/supernet/pathSampling';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { tinySpace } from '../helpers/tinySpace';

const space = tinySpace();
const DISTS = [[0.5, 0.3, 0.2], [0.25, 0.45, 0.3], [0.4, 0.35, 0.25], [1]];
let table: LatencyTable;
let latency: CandidateCosts;
let model: CostModel;
/** Every architecture of the tiny space: indices, table latency, log-probability under DISTS. */
let all: Array<{ indices: number[]; us: number; logProb: number }>;

before(async () => {
  table = await fakeLatencyTable(space, undefined, 40);
  latency = latencyCandidateCosts(table, space);
  model = makeCostModel(space, { latency: (a) => predictLatency(table, space, a) });
  const layout = supernetLayout(space);
  all = [];
  for (let a = 0; a < 3; a++)
    for (let b = 0; b < 3; b++)
      for (let c = 0; c < 3; c++) {
        const indices = [a, b, c, 0];
        all.push({
          indices,
          us: predictLatency(table, space, archOfIndices(layout, indices)),
          logProb: indices.reduce((s, i, l) => s + Math.log(DISTS[l]![i]!), 0),
        });
      }
});

const input = (o: Partial<ProposeInput> = {}): ProposeInput => ({
  space,
  distributions: DISTS,
  costs: latency,
  samples: 3,
  seed: 5,
  table,
  costModel: model,
  constraints: [],
  budget: null,
  ...o,
});
/** A proposal's candidate indices, as 'i-j-k-l'. */
const indicesOf = (arch: string) => indicesOfArch(supernetLayout(space), parseArch(space, arch)).join('-');
/** The enumerated entry of a proposal's architecture. */
const entryOf = (arch: string) => all.find((a) => a.indices.join('-') === indicesOf(arch))!;

test('no budget: the argmax and K distinct samples, exactly as before', () => {
  const p = proposeArchitectures(input());
  const argmax = argmaxArchitecture(space, DISTS);
  const samples = sampleArchitectures(space, DISTS, 4, 5)
    .filter((s) => s.text !== argmax.text)
    .slice(0, 3);
  assert.deepEqual(
    p.proposals.map((q) => q.source),
    ['dnas-argmax', 'dnas-sample', 'dnas-sample', 'dnas-sample'],
  );
  assert.deepEqual(
    p.proposals.map((q) => indicesOf(q.arch)),
    [argmax, ...samples].map((s) => s.indices.join('-')),
  );
  assert.equal(p.summary, 'drew 3 samples + the argmax from the learned distribution (seed 5); 4 to train');
  assert.deepEqual(
    Object.keys(p),
    ['proposals', 'dropped', 'summary', 'targetLatencyUs', 'seed', 'costUnit'],
    'no budget field',
  );
  assert.equal(p.targetLatencyUs, null);
  const q = p.proposals[0]!;
  assert.equal(q.tableLatencyUs, predictLatency(table, space, parseArch(space, q.arch)));
  assert.ok(Math.abs(q.searchCost - q.tableLatencyUs!) < 1e-6 * q.tableLatencyUs!);
  assert.ok(q.flops! > 0 && q.params! > 0);
});

test('a budget the argmax fits: the argmax first, then K samples within the budget; draws and acceptance rate in the summary', () => {
  const argmax = argmaxArchitecture(space, DISTS);
  const argmaxUs = architectureCost(latency, argmax.indices);
  const within = all.filter((a) => a.us <= argmaxUs + 1e-9);
  assert.ok(within.length >= 5, `enough architectures within ${argmaxUs} µs (${within.length})`);
  const budget = argmaxUs + 1e-6;
  const p = proposeArchitectures(input({ budget: { targetUs: budget, costs: latency } }));
  assert.deepEqual(
    p.proposals.map((q) => q.source),
    ['dnas-argmax', 'dnas-sample', 'dnas-sample', 'dnas-sample'],
  );
  assert.equal(indicesOf(p.proposals[0]!.arch), argmax.indices.join('-'));
  for (const q of p.proposals) assert.ok(q.searchCost <= budget, `${q.arch}: ${q.searchCost} within ${budget}`);
  assert.equal(new Set(p.proposals.map((q) => q.arch)).size, 4, 'distinct, and no sample repeats the argmax');
  assert.equal(p.dropped.length, 0);
  assert.match(
    p.summary,
    /^the argmax is within the target latency of [0-9.]+(us|ms) \([0-9.]+(us|ms)\); drew 3 samples from the learned distribution conditioned on the target latency \(seed 5\): \d+ draws, acceptance rate [0-9.]+%; 4 to train$/,
  );
  const b = p.budget!;
  assert.equal(b.first, 'dnas-argmax');
  assert.equal(b.gridUs, null);
  assert.equal(b.samples.found, 3);
  assert.ok(b.samples.draws >= 3 && b.samples.acceptanceRate === b.samples.accepted / b.samples.draws);
  assert.equal(b.cheapestUs, costRange(latency).min);
  assert.deepEqual(proposeArchitectures(input({ budget: { targetUs: budget, costs: latency } })), p, 'seeded');
});

test('a budget under the argmax: the most probable architecture within it replaces the argmax, which is dropped with its latency', () => {
  const argmax = argmaxArchitecture(space, DISTS);
  const argmaxUs = architectureCost(latency, argmax.indices);
  const cheapest = costRange(latency).min;
  assert.ok(argmaxUs > cheapest);
  const budget = (argmaxUs + cheapest) / 2;
  const best = all.filter((a) => a.us <= budget - 4).sort((x, y) => y.logProb - x.logProb)[0]!; // clear of the 1 µs grid
  const p = proposeArchitectures(input({ budget: { targetUs: budget, costs: latency } }));
  assert.equal(p.proposals[0]!.source, 'dnas-argmax-budget');
  const first = entryOf(p.proposals[0]!.arch);
  assert.ok(first.us <= budget && first.logProb >= best.logProb - 1e-12, 'the most probable within the budget');
  assert.ok(
    all.every((a) => a.us > budget || a.logProb <= first.logProb + 1e-12),
    'nothing within the budget is more probable',
  );
  for (const q of p.proposals) assert.ok(q.searchCost <= budget && q.tableLatencyUs! <= budget + 1e-6);
  assert.ok(p.proposals.slice(1).every((q) => q.source === 'dnas-sample'));
  assert.equal(p.dropped.length, 1);
  assert.equal(p.dropped[0]!.source, 'dnas-argmax');
  assert.equal(indicesOf(p.dropped[0]!.arch), argmax.indices.join('-'));
  assert.match(p.dropped[0]!.reason, /^latency [0-9.]+(us|ms) > target [0-9.]+(us|ms)$/);
  assert.match(
    p.summary,
    /^the argmax is over the target latency of .*: proposing the most probable architecture within it instead \(.*, log-probability -[0-9.]+ against the argmax's -[0-9.]+\); drew \d+ samples? from the learned distribution conditioned on the target latency \(seed 5\): \d+ draws, acceptance rate [0-9.]+%.*; dropped 1 over the budget \(dnas-argmax latency .* > target .*\); \d+ to train$/,
  );
  assert.equal(p.budget!.first, 'dnas-argmax-budget');
  assert.equal(p.budget!.gridUs, 1);
});

test('fewer architectures within the budget than asked: says so; nothing fits: no proposals and the cheapest latency', () => {
  const sorted = [...all].sort((x, y) => x.us - y.us);
  const budget = (sorted[2]!.us + sorted[3]!.us) / 2; // three architectures fit
  const few = proposeArchitectures(input({ budget: { targetUs: budget, costs: latency } }));
  assert.equal(few.proposals.length, 3);
  assert.equal(few.budget!.samples.found, 2);
  assert.equal(few.budget!.samples.draws, 6000, 'every draw allowed (2000 k) was made');
  assert.match(
    few.summary,
    /\(only 2 of the 3 asked: no more distinct ones within the budget in the 6000 draws allowed\)/,
  );

  const cheapest = sorted[0]!.us;
  const none = proposeArchitectures(input({ budget: { targetUs: cheapest - 1, costs: latency } }));
  assert.deepEqual(none.proposals, []);
  assert.equal(none.budget!.first, null);
  assert.ok(Math.abs(none.budget!.cheapestUs - cheapest) < 1e-6);
  assert.equal(none.budget!.samples.draws, 0);
  assert.deepEqual(
    none.dropped.map((d) => d.source),
    ['dnas-argmax'],
  );
  assert.match(
    none.summary,
    /^no architecture fits the target latency of [0-9.]+(us|ms): the cheapest achievable is [0-9.]+(us|ms) \(table latency\), the argmax [0-9.]+(us|ms); no samples; dropped 1 over the budget .*; 0 to train$/,
  );
});

test("the constraints still filter the proposals under a budget; a FLOPs search is held to the table's latency", () => {
  const budget = [...all].sort((x, y) => x.us - y.us)[20]!.us;
  const open = proposeArchitectures(input({ samples: 6, budget: { targetUs: budget, costs: latency } }));
  const flops = open.proposals.map((q) => q.flops!).sort((x, y) => x - y);
  const limit = flops[Math.floor(flops.length / 2)]!;
  const c = parseConstraint(`flops<=${limit}`);
  const p = proposeArchitectures(input({ samples: 6, constraints: [c], budget: { targetUs: budget, costs: latency } }));
  assert.deepEqual(
    p.proposals.map((q) => q.arch),
    open.proposals.filter((q) => q.flops! <= limit).map((q) => q.arch),
  );
  const byFlops = p.dropped.filter((d) => /^flops .* > /.test(d.reason));
  assert.ok(byFlops.length > 0);
  assert.deepEqual(
    p.dropped.filter((d) => !byFlops.includes(d)),
    open.dropped,
    'besides the argmax over the budget (if it is)',
  );

  // The search ran on FLOPs (kMAC), the budget is table latency through the table's own costs.
  const kmac = flopsCandidateCosts(space, undefined, undefined, { unit: 'kMAC' });
  const f = proposeArchitectures(input({ costs: kmac, budget: { targetUs: budget, costs: latency } }));
  assert.equal(f.costUnit, 'kMAC');
  for (const q of f.proposals) {
    assert.ok(q.tableLatencyUs! <= budget + 1e-6);
    assert.equal(q.searchCost, architectureCost(kmac, entryOf(q.arch).indices));
  }
});

test('a floor: the argmax under it is dropped, the most probable architecture of the band and samples of it are proposed; an unreachable floor is dropped and said', () => {
  // A distribution that favours each layer's cheapest candidate: its argmax is the cheapest
  // architecture, far under a band over the slower half.
  const dists = latency.perLayer.map((row) => {
    const m = row.indexOf(Math.min(...row));
    return row.map((_, i) => (row.length === 1 ? 1 : i === m ? 0.5 : 0.5 / (row.length - 1)));
  });
  const logProbOf = (indices: number[]) => indices.reduce((s, i, l) => s + Math.log(dists[l]![i]!), 0);
  const argmax = argmaxArchitecture(space, dists);
  const argmaxUs = architectureCost(latency, argmax.indices);
  const sorted = all.map((a) => a.us).sort((x, y) => x - y);
  const floorUs = sorted[13]!;
  const targetUs = sorted.at(-1)! + 1;
  assert.ok(argmaxUs < floorUs - 10, `the argmax (${argmaxUs}) is under the band`);
  const inBand = all.filter((a) => a.us >= floorUs && a.us <= targetUs);
  assert.ok(inBand.length >= 10, `enough architectures in the band (${inBand.length})`);
  const p = proposeArchitectures(input({ distributions: dists, budget: { targetUs, floorUs, costs: latency } }));
  assert.equal(p.proposals[0]!.source, 'dnas-argmax-budget');
  const first = entryOf(p.proposals[0]!.arch);
  // The floor holds to within a step a layer (4 layers, 1 µs grid); nothing in the band is more probable.
  assert.ok(first.us >= floorUs - 4 && first.us <= targetUs);
  const firstLp = logProbOf(first.indices);
  assert.ok(
    inBand.every((a) => logProbOf(a.indices) <= firstLp + 1e-12),
    'the most probable of the band',
  );
  for (const q of p.proposals) assert.ok(q.tableLatencyUs! >= floorUs - 4 && q.tableLatencyUs! <= targetUs + 1e-6);
  assert.equal(p.proposals.length, 4);
  assert.equal(p.dropped.length, 1);
  assert.match(p.dropped[0]!.reason, /^latency [0-9.]+(us|ms) < floor [0-9.]+(us|ms)$/);
  assert.match(
    p.summary,
    /^the argmax is under the band of .* to .*: proposing the most probable architecture within it/,
  );
  assert.match(p.summary, /conditioned on the band \(seed 5\)/);
  assert.match(p.summary, /; dropped 1 outside the band \(dnas-argmax latency .* < floor .*\); 4 to train$/);
  assert.equal(p.budget!.floorUs, floorUs);
  // Without the floor the argmax itself is proposed: the floor is what moved the proposals.
  assert.equal(
    proposeArchitectures(input({ budget: { targetUs, costs: latency } })).proposals[0]!.source,
    'dnas-argmax',
  );
  // A floor above every architecture: dropped, said so, and the budget alone applies.
  const q = proposeArchitectures(
    input({ distributions: dists, budget: { targetUs, floorUs: targetUs, costs: latency } }),
  );
  assert.match(
    q.summary,
    /^no architecture reaches the floor of .* within the target latency: the floor is dropped; the argmax is within the target latency/,
  );
  assert.equal(q.proposals[0]!.source, 'dnas-argmax');
  assert.equal(q.budget!.floorUs, undefined);
});

test('options.targetLatencyFloor: a share in (0, 1], and only with options.targetLatency (a FieldError naming it)', () => {
  const config = { evaluator: 'train', data: 'synthetic:0', space: 'tiny', lut: null };
  assert.throws(() => dnasOptions.parse({ cost: 'flops', targetLatencyFloor: 1.5 }), /targetLatencyFloor/);
  assert.throws(() => dnasOptions.parse({ cost: 'flops', targetLatencyFloor: 0 }), /targetLatencyFloor/);
  assert.throws(
    () => checkDnasConfig(config, dnasOptions.parse({ cost: 'flops', targetLatencyFloor: 0.9 })),
    (e: unknown) =>
      e instanceof FieldError &&
      e.field === 'options.targetLatencyFloor' &&
      /give `options.targetLatency`/.test(e.message),
  );
  assert.equal(dnasOptions.parse({ cost: 'flops' }).targetLatencyFloor, undefined, 'absent by default');
});
