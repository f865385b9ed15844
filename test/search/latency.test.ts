// Latency constraints with a lookup table (made-up timings, so nothing is timed): the exact
// minimum over a layer-wise space, every trial within the bound, latencies recorded as the table
// predicts them, a table for another space refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArch } from '../../src/space/archFormat';
import { sampleUniformN } from '../../src/arch/sample';
import {
  buildLatencyTable,
  choiceLatencies,
  latencyKey,
  predictLatency,
  spaceArg,
  type LatencyTable,
  type LatencyTarget,
  type Timing,
} from '../../src/latency';
import { loadSpace } from '../../src/space/registry';
import { completeConfig } from '../../src/search/config';
import { runStudy } from '../../src/search/runStudy';
import { hashString } from '../../src/random/seeds';
import { setupSearch, withStrategyDefaults } from '../../src/search/setupSearch';
import { StudyStore } from '../../src/study/store';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { cliThrowsWith } from '../helpers/cliText';

/** A latency table of made-up timings (built by the real builder with a target that times nothing). */
async function fakeTable(spaceName: string): Promise<LatencyTable> {
  const target: LatencyTarget = {
    info: {
      name: 'fake',
      runtime: 'none',
      version: '0',
      threads: 1,
      batch: 1,
      settings: {},
      machine: { cpu: 'none', cores: 1, os: 'none' },
    },
    async measure(subject): Promise<Timing> {
      const us = subject.kind === 'op' ? 5 + (hashString(latencyKey(subject.spec)) % 200) : 1000;
      return { medianUs: us, p25Us: us, p75Us: us, runs: 1, samplesUs: [us] };
    },
  };
  return buildLatencyTable(loadSpace(spaceName), { target, warmup: 0, repeats: 1, rounds: 1, calibrate: 0 });
}

test('latency constraints: exact minimum from the table, every trial within the bound, predicted latency recorded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-lut-'));
  try {
    const space = loadSpace('fbnet-s');
    const table = await fakeTable('fbnet-s');
    const lut = path.join(dir, 'lut.json');
    fs.writeFileSync(lut, JSON.stringify(table));
    const cl = choiceLatencies(table, space);
    const exactMin = cl.fixedUs + cl.dims.reduce((s, d) => s + Math.min(...d.us), 0);
    const setup0 = setupSearch(
      withStrategyDefaults(completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', lut })),
    );
    const m = setup0.costs.minimum('latency');
    assert.equal(m.how, 'exact');
    assert.ok(Math.abs(m.value - exactMin) < 1e-9, `${m.value} vs ${exactMin}`);
    for (const a of sampleUniformN(space, 500, 2)) assert.ok(predictLatency(table, space, a) >= m.value - 1e-9);

    assert.throws(
      () =>
        setupSearch(
          completeConfig({
            strategy: 'random',
            space: 'fbnet-s',
            evaluator: 'synthetic',
            lut,
            constraints: [`latency<=${Math.floor(exactMin) - 1}`],
          }),
        ),
      /constraint latency<=\d+ cannot be met .*smallest latency is/,
    );
    const samples = sampleUniformN(space, 400, 3)
      .map((a) => predictLatency(table, space, a))
      .sort((x, y) => x - y);
    const bound = Math.round(samples[100]!); // about a quarter of the space fits
    for (const strategy of ['random', 'evolution']) {
      const store = StudyStore.open(':memory:');
      const { summary: r } = await runStudy({
        config: {
          strategy,
          space: 'fbnet-s',
          evaluator: 'synthetic:1',
          lut,
          constraints: [`latency<=${bound}us`],
          trials: 30,
          options: strategy === 'evolution' ? { population: 10, sampleSize: 3 } : {},
          study: 'l',
        },
        store,
      });
      const study = store.requireStudy('l');
      assert.equal(r.complete, 30);
      for (const t of store.trials(study.id)) {
        assert.equal(t.costs.latencyUs, predictLatency(table, space, parseArch(space, t.arch)));
        assert.ok(t.costs.latencyUs! <= bound, `${strategy} trial ${t.number}: ${t.costs.latencyUs} > ${bound}`);
      }
      store.close();
    }

    // A table for another space is refused before the search.
    const other = path.join(dir, 'other.json');
    fs.writeFileSync(other, JSON.stringify({ ...table, space: { name: 'fbnet', style: 'layerwise' } }));
    assert.throws(
      () => setupSearch(completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', lut: other })),
      /the latency table .*other.json was built for space 'fbnet', not 'fbnet-s'/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every evaluator checks the latency table against the input its costs use; hints name what the command has', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-lut-input-'));
  try {
    const space = loadSpace('fbnet-s');
    const small = path.join(dir, 'small.json');
    fs.writeFileSync(small, JSON.stringify(await fakeLatencyTable(space, [1, 28, 28])));
    const config = (c: object) =>
      withStrategyDefaults(
        completeConfig({ strategy: 'random', space: 'fbnet-s', lut: small, constraints: ['latency<=3ms'], ...c }),
      );
    // The synthetic evaluator's costs are the space's input, 3x32x32: a 1x28x28 table is refused, as
    // `tsnas cost` refuses it, with no --input hint (search has no such option; as the CLI words it).
    const msg = cliThrowsWith(
      () => setupSearch(config({ evaluator: 'synthetic' })),
      [
        `the latency table ${small} was built for input 1x28x28, not 3x32x32`,
        "the space's input: the synthetic evaluator does not change it",
        'npx tsnas lut build fbnet-s --input 3x32x32',
      ],
    );
    assert.doesNotMatch(msg, /give --input/);
    // The training evaluator's costs use the data's input: 1x16x16 for synthetic data.
    cliThrowsWith(
      () => setupSearch(config({ data: 'synthetic:2' })),
      ['built for input 1x28x28, not 1x16x16', 'the input of --data synthetic:2'],
    );
    // A table for that input is taken.
    const fits = path.join(dir, 'fits.json');
    fs.writeFileSync(fits, JSON.stringify(await fakeLatencyTable(space, [1, 16, 16])));
    assert.doesNotThrow(() => setupSearch(config({ data: 'synthetic:2', lut: fits, constraints: [] })));

    // A user's space file named like a built-in: the rebuild hint builds that file, not the built-in.
    const own = path.join(dir, 'fbnet-s.yaml');
    fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'spaces', 'fbnet-s.yaml'), own);
    const userSpace = loadSpace(own);
    assert.equal(userSpace.name, 'fbnet-s');
    assert.equal(spaceArg(userSpace), userSpace.file);
    assert.equal(spaceArg(space), 'fbnet-s');
    const m2 = cliThrowsWith(
      () => setupSearch(config({ space: own, evaluator: 'synthetic' })),
      [`npx tsnas lut build ${userSpace.file} --input 3x32x32`],
    );
    assert.doesNotMatch(m2, /lut build fbnet-s /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
