// What a plug-in gets of its study: the typed configuration, its parsed options and the latency
// table the set-up read once, in `create` and `check` (and, from the same set-up, in finalize).
// Option keys of former versions (DNAS's and NSE's weightLr, now the shared `lr`) are read from a
// config and from a stored study as today's keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { getStrategy, parseStrategyOptions, registerStrategy } from '../../src/search/registry';
import { configureSearch, pluginStudy, setupSearch } from '../../src/search/setupSearch';
import { studyConfig } from '../../src/search/studyConfig';
import type { PluginStudy, StrategyPlugin } from '../../src/search/strategyPlugin';
import { RandomSearch } from '../../src/search/random';
import { runStudy } from '../../src/search/runStudy';
import { StudyStore } from '../../src/study/store';
import { loadSpace } from '../../src/space/registry';
import { nseOptions } from '../../src/search/nse';
import { fakeLatencyTable } from '../helpers/fakeTable';

const probeOptions = z.strictObject({
  width: z.number().int().positive().default(3).describe('a width'),
  lr: z.number().positive().default(0.5).describe('a rate'),
});
type ProbeOptions = z.infer<typeof probeOptions>;
const seen: { create?: PluginStudy<ProbeOptions>; check?: PluginStudy<ProbeOptions> } = {};

const probe: StrategyPlugin<ProbeOptions> = {
  name: 'probe-plugin-study',
  description: 'records what it is given',
  options: probeOptions,
  renamedOptions: { oldLr: 'lr' },
  create(options, study) {
    seen.create = study;
    assert.equal(options, study.options, 'create gets the options it is told about');
    return new RandomSearch();
  },
  check(s) {
    seen.check = { config: s.config, options: s.options, latencyTable: s.latencyTable };
  },
};
registerStrategy(probe);

test('create and check get the typed configuration, the parsed options and the latency table read once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-plugin-study-'));
  try {
    const table = await fakeLatencyTable(loadSpace('fbnet-s'));
    const lut = path.join(dir, 'lut.json');
    fs.writeFileSync(lut, JSON.stringify(table));
    const config = configureSearch({
      strategy: probe.name,
      space: 'fbnet-s',
      evaluator: 'synthetic',
      lut,
      options: { width: 5, oldLr: 0.25 },
    });
    assert.deepEqual(config.options, { width: 5, lr: 0.25 }, 'a former key is stored as today’s');
    const setup = setupSearch(config);
    for (const s of [seen.create!, seen.check!]) {
      assert.equal(s.config, config);
      assert.deepEqual(s.options, { width: 5, lr: 0.25 });
      assert.equal(s.options.width * 2, 10, 'typed by the schema');
      assert.ok(s.latencyTable, 'the table');
      assert.equal(s.latencyTable, setup.latencyTable, 'the one the set-up read');
    }
    assert.equal(seen.create!.latencyTable, seen.check!.latencyTable, 'read once: the same object');
    assert.deepEqual(Object.keys(pluginStudy(setup)).sort(), ['config', 'latencyTable', 'options']);
    const without = setupSearch(configureSearch({ strategy: probe.name, space: 'fbnet-s', evaluator: 'synthetic' }));
    assert.equal(without.latencyTable, null);
    assert.equal(seen.create!.latencyTable, null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('former option keys: a config and a stored study with weightLr read as lr; a key under both names keeps today’s', () => {
  const nse = getStrategy('nse');
  assert.equal((parseStrategyOptions(nse, { weightLr: 0.01 }) as { lr: number }).lr, 0.01);
  assert.equal((parseStrategyOptions(getStrategy('dnas'), { weightLr: 0.02 }) as { lr: number }).lr, 0.02);
  assert.equal((parseStrategyOptions(nse, { weightLr: 0.01, lr: 0.03 }) as { lr: number }).lr, 0.03);
  assert.throws(() => parseStrategyOptions(nse, { weightLr: -1 }), /options\.lr/, 'the error names today’s key');
  // A study stored by a former version: its options as they were written then.
  const stored = {
    ...configureSearch({ strategy: 'nse', space: 'fbnet-s', data: 'synthetic:0' }),
  } as unknown as Record<string, unknown>;
  const { lr, ...rest } = (stored.options as Record<string, unknown>) ?? {};
  stored.options = { ...rest, weightLr: 0.07 };
  assert.equal(lr, 0.05, 'the default today');
  const config = studyConfig({ config: stored });
  assert.equal(config.options.lr, 0.07);
  assert.ok(!('weightLr' in config.options));
  assert.equal(nseOptions.parse(config.options).lr, 0.07, 'the strict schema reads it');
  // A strategy this tsnas does not know keeps its options as stored.
  const foreign: Record<string, unknown> = { ...stored, strategy: 'gone' };
  assert.equal(studyConfig({ config: foreign }).options, foreign.options);
});

test('a study stored with a former option key resumes: its strategy and hooks get today’s key', async () => {
  const store = StudyStore.open(':memory:');
  try {
    const given = { strategy: probe.name, space: 'fbnet-s', evaluator: 'synthetic', trials: 2, study: 'old' };
    await runStudy({ config: { ...given, options: { lr: 0.125 } }, store, log: () => {} });
    // As a former version wrote it: the option under its former key.
    const study = store.requireStudy('old');
    const { lr, ...rest } = study.config.options as Record<string, unknown>;
    store.updateStudyConfig(study.id, { ...study.config, options: { ...rest, oldLr: lr } });
    seen.create = undefined;
    const { summary, setup } = await runStudy({ resume: 'old', overrides: { trials: 3 }, store, log: () => {} });
    assert.equal(summary.complete, 3, 'it resumed to its new target');
    assert.deepEqual(setup.options, { width: 3, lr: 0.125 });
    assert.equal(seen.create!.options.lr, 0.125, 'the strategy got today’s key');
    assert.equal(seen.create!.config.trials, 3, 'and the configuration as it is now');
  } finally {
    store.close();
  }
});
