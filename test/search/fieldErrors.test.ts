// Library errors speak the library's language (issue 22, item 3): bad input through the API is a
// FieldError naming the configuration field and the value at fault, and its message names no
// command-line flag; the CLI maps the fields to its flags (src/cli/fieldFlags.ts, errorText.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FieldError } from '../../src/io/fieldError';
import { ConfigError, applyResumeOverrides, completeConfig } from '../../src/search/config';
import { setupSearch, withStrategyDefaults } from '../../src/search/setupSearch';
import { StoreError, StudyStore } from '../../src/study/store';
import { MissingLatencyTableError } from '../../src/cost/missingLatencyTable';
import { LatencyTableError, checkTableFor } from '../../src/latency/latencyTable';
import { loadSpace } from '../../src/space/registry';
import { strategyPlugins } from '../../src/search/registry';
import { optionFlags } from '../../src/search/strategyFlags';
import { buildProgram } from '../../src/cli/main';
import { fieldFlagTable } from '../../src/cli/fieldFlags';
import { fakeLatencyTable } from '../helpers/fakeTable';
import { cliText } from '../helpers/cliText';

/** A flag as the CLI writes one: --limit-train. */
const FLAG = /(^|[\s(])--[a-z]/;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

function fieldError(err: unknown, field: string, value: unknown): FieldError {
  assert.ok(err instanceof FieldError, `a FieldError, got ${String(err)}`);
  assert.equal(err.field, field);
  assert.deepEqual(err.value, value);
  assert.doesNotMatch(err.message, FLAG, 'the library names fields, not flags');
  return err;
}

test('configureSearch: a field that does not apply, a resume that lowers the target: FieldErrors naming the field and value', () => {
  const e = fieldError(
    caught(() =>
      completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', train: { limitTrain: 5 } }),
    ),
    'train.limitTrain',
    5,
  );
  assert.ok(e instanceof ConfigError, 'ConfigError is a FieldError, and still a ConfigError');
  assert.match(e.message, /`train.limitTrain` only applies to the training evaluator \(`data` D\), not to synthetic/);
  // The CLI says the same with its flags.
  assert.match(cliText(e), /^--limit-train only applies to the training evaluator \(--data D\), not to synthetic$/);

  fieldError(
    caught(() => completeConfig({ strategy: 'random', space: 'fbnet-s' })),
    'evaluator',
    undefined,
  );
  const stored = completeConfig({ strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', trials: 4 });
  const r = fieldError(
    caught(() => applyResumeOverrides(stored, { trials: 2 }, 'one')),
    'trials',
    2,
  );
  assert.match(cliText(r), /^--resume one --trials 2: the study's target is 4 complete trials/);
});

test("setupSearch: a strategy's bad options, a latency constraint without a table, a table of another thread count", async () => {
  const config = (c: object) =>
    completeConfig({ strategy: 'spos', space: 'fbnet-s', evaluator: 'synthetic', ...c } as Parameters<
      typeof completeConfig
    >[0]);
  const o = fieldError(
    caught(() => withStrategyDefaults(config({ options: { parents: 9, population: 4 } }))),
    'options.parents',
    9,
  );
  assert.match(o.message, /give `options.parents` <= `options.population`/);
  assert.match(cliText(o), /give --parents <= --population/);

  const m = caught(() =>
    setupSearch(withStrategyDefaults(config({ strategy: 'random', constraints: ['latency<=1ms'] }))),
  );
  fieldError(m, 'lut', null);
  assert.ok(m instanceof MissingLatencyTableError);
  assert.match(cliText(m), /give --lut FILE .*; build one with: npx tsnas lut build fbnet-s -o FILE$/);

  const space = loadSpace('fbnet-s');
  const table = await fakeLatencyTable(space, [3, 32, 32]);
  const t = caught(() => checkTableFor(table, space, { threads: 2, file: 't.json' }));
  fieldError(t, 'lut', 't.json');
  assert.ok(t instanceof LatencyTableError);
  assert.match((t as Error).message, /build one with: a table of space fbnet-s with `input` 3x32x32, `threads` 2/);
  assert.match(cliText(t), /build one with: npx tsnas lut build fbnet-s --input 3x32x32 --threads 2 -o FILE$/);
});

test('StudyStore.open: a store that is a directory or missing is a StoreError, a FieldError of `store`', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-field-errors-'));
  try {
    const d = caught(() => StudyStore.open(dir, { readonly: true }));
    assert.ok(d instanceof StoreError);
    fieldError(d, 'store', dir);
    assert.match(cliText(d), /\(e\.g\. --store .*tsnas\.db\)/);
    const missing = path.join(dir, 'none.db');
    const n = caught(() => StudyStore.open(missing, { readonly: true }));
    fieldError(n, 'store', missing);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing made');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the CLI's table: every field it names is a flag of the program; every strategy option maps to its own flag", () => {
  const program = buildProgram();
  const table = fieldFlagTable(program);
  const flags = new Set<string>();
  const visit = (c: typeof program) => {
    for (const opt of c.options) if (opt.long) flags.add(opt.long.slice(2));
    c.commands.forEach(visit);
  };
  visit(program);
  for (const [field, flag] of table) assert.ok(flags.has(flag), `${field} -> --${flag}, a flag of tsnas`);
  for (const plugin of strategyPlugins())
    for (const f of optionFlags(plugin).filter((x) => !x.aliasOf)) {
      const mapped = table.get(`options.${f.option}`);
      if (mapped !== undefined) assert.equal(mapped, f.flag, `${plugin.name}'s ${f.option}`);
    }
  for (const [field, flag] of [
    ['train.limitTrain', 'limit-train'],
    ['final.epochs', 'final-epochs'],
    ['final.seeds', 'final-seeds'],
    ['maxFailed', 'max-failed'],
    ['store', 'store'],
    ['options.subsetSize', 'subset-size'],
    ['options.targetPaths', 'target-paths'],
    ['options.lr', 'supernet-lr'],
  ])
    assert.equal(table.get(field), flag);
});
