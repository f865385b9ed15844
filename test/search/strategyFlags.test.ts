// A strategy's CLI flags come from its plug-in's options schema: names in kebab case (or the
// plug-in's own), placeholders and parsers from the schema's types and bounds, help from its
// descriptions and defaults. A plug-in registers once; flags of another strategy are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { registerStrategy, strategyNames } from '../../src/search/registry';
import { optionFlags } from '../../src/search/strategyFlags';
import type { StrategyPlugin } from '../../src/search/strategyPlugin';
import { tsnas } from '../helpers/tsnasCli';

const toyOptions = z.strictObject({
  population: z.number().int().min(2).default(50).describe('parents and children per generation'),
  mutationProb: z.number().gt(0).max(1).default(0.1).describe('per-choice mutation probability'),
  warmupEpochs: z.number().int().min(0).nullable().default(null).describe('epochs before sampling starts'),
  rate: z.number().positive().optional().describe('a positive rate'),
  shrink: z.boolean().default(false).describe('shrink the space first'),
  mode: z.enum(['uniform', 'budget']).default('uniform').describe('how paths are drawn'),
  limitTrain: z.number().int().positive().nullable().default(null).describe('images of the supernet'),
  bins: z.array(z.number()).default([]).describe('a list: config files only'),
});
type ToyOptions = z.infer<typeof toyOptions>;

const toy: StrategyPlugin<ToyOptions> = {
  name: 'toy',
  description: 'a toy',
  options: toyOptions,
  flags: { limitTrain: { name: 'supernet-limit-train', aliases: ['search-limit-train'] }, rate: { value: 'r' } },
  create: () => ({ name: 'toy', ask: () => null, tell: () => {} }),
};

test('flags derive from the options schema: names, placeholders, help with defaults, parsers with the flag in their errors', () => {
  const flags = optionFlags(toy as StrategyPlugin<unknown>);
  const by = Object.fromEntries(flags.filter((f) => !f.aliasOf).map((f) => [f.option, f]));
  assert.deepEqual(
    flags.map((f) => f.flag),
    [
      'population',
      'mutation-prob',
      'warmup-epochs',
      'rate',
      'shrink',
      'mode',
      'supernet-limit-train',
      'search-limit-train',
    ],
    'one flag per scalar option, kebab case unless renamed, then its former names; the list option has none',
  );
  assert.deepEqual(
    flags.map((f) => f.value),
    ['n', 'x', 'n', 'r', null, 'uniform|budget', 'n', 'n'],
  );
  const alias = flags.find((f) => f.flag === 'search-limit-train')!;
  assert.equal(alias.option, 'limitTrain', 'a former name sets the same option');
  assert.equal(alias.aliasOf, 'supernet-limit-train');
  assert.equal(by.limitTrain!.aliasOf, undefined, 'the flag itself is no alias');
  assert.throws(() => alias.parse('0'), /--search-limit-train must be a positive integer, got '0'/);
  assert.equal(by.population!.help, 'parents and children per generation (default 50)');
  assert.equal(by.warmupEpochs!.help, 'epochs before sampling starts', 'a null default is not shown');
  assert.equal(by.population!.parse('7'), 7);
  assert.throws(() => by.population!.parse('1'), /--population must be an integer >= 2, got '1'/);
  assert.throws(() => by.population!.parse('2.5'), /--population must be an integer >= 2/);
  assert.throws(() => by.mutationProb!.parse('0'), /--mutation-prob must be a number in \(0, 1\], got '0'/);
  assert.equal(by.mutationProb!.parse('1'), 1);
  assert.throws(() => by.warmupEpochs!.parse('-1'), /--warmup-epochs must be a non-negative integer, got '-1'/);
  assert.throws(() => by.rate!.parse('abc'), /--rate must be a positive number, got 'abc'/);
  assert.throws(() => by.mode!.parse('sobol'), /--mode must be one of uniform, budget, got 'sobol'/);
  assert.equal(by.shrink!.parse(''), true);
});

test('an option without a description, options that are not an object, and a second plug-in of one name are refused', () => {
  const bare = { ...toy, options: z.strictObject({ x: z.number().default(1) }) } as unknown as StrategyPlugin<unknown>;
  assert.throws(() => optionFlags(bare), /option 'x' has no description/);
  const notObject = { ...toy, options: z.number() } as unknown as StrategyPlugin<unknown>;
  assert.throws(() => optionFlags(notObject), /options must be a zod object/);
  assert.throws(
    () => registerStrategy({ ...toy, name: strategyNames()[0]! }),
    /a strategy named 'random' is registered already/,
  );
});

test("the CLI: a strategy's flags in its help, values checked, and refused with another strategy", () => {
  const help = tsnas(['search', 'evolution', '--help']);
  assert.equal(help.code, 0);
  const text = help.stdout.replace(/\s+/g, ' '); // the help wraps at the terminal's width
  assert.match(text, /--population <n> population size P/);
  assert.match(text, /--max-tries <n> draws per proposal before giving up on the constraints/);
  const wrong = tsnas([
    'search',
    'random',
    '--space',
    'fbnet-s',
    '--evaluator',
    'synthetic',
    '--sample-size',
    '5',
    '--store',
    ':memory:',
  ]);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /--sample-size only applies to the evolution strategy \(tsnas search evolution \.\.\.\), not to random/,
  );
  const bad = tsnas([
    'search',
    'evolution',
    '--space',
    'fbnet-s',
    '--evaluator',
    'synthetic',
    '--population',
    '1',
    '--store',
    ':memory:',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--population must be an integer >= 2, got '1'/);
});
