// `tsnas search --help` lists the common flags and the strategies (and says how to see a strategy's
// own); `tsnas search STRATEGY --help` the common flags and that strategy's own, none of another's.
// The weight-sharing options have one flag each, their former names still read but never listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategyNames, strategyPlugins } from '../../src/search/registry';
import { optionFlags } from '../../src/search/strategyFlags';
import { tsnas, tsnasInProcess } from '../helpers/tsnasCli';

/** The flags a help lists (each `--name` that starts an item). */
const listed = (help: string) => new Set([...help.matchAll(/^ {2}(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]!));

/** Every strategy's own flags, by strategy (former names left out). */
const own = new Map(
  strategyPlugins().map((p) => [
    p.name,
    new Set(
      optionFlags(p)
        .filter((f) => !f.aliasOf && !f.takesCommonFlag)
        .map((f) => f.flag),
    ),
  ]),
);

test('search --help: the common flags and the strategies, no strategy flag, and how to see them', async () => {
  const r = await tsnasInProcess(['search', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const flags = listed(r.stdout);
  for (const common of ['space', 'data', 'trials', 'constraint', 'epochs', 'train-epochs', 'resume', 'workers'])
    assert.ok(flags.has(common), `--${common} is listed`);
  for (const [name, mine] of own)
    for (const f of mine)
      if (!flags.has(f)) continue;
      else assert.fail(`--${f} (${name}'s) is listed in the common help`);
  const strategies = r.stdout.slice(r.stdout.indexOf('Strategies:'));
  for (const name of strategyNames())
    assert.match(strategies, new RegExp(`^ {2}${name} +\\S`, 'm'), `${name} is listed`);
  assert.match(r.stdout, /Each strategy's own options: npx tsnas search STRATEGY --help/);
});

test("search STRATEGY --help: the common flags and that strategy's own, no other's, no former name", async () => {
  const common = listed((await tsnasInProcess(['search', '--help'])).stdout);
  for (const name of strategyNames()) {
    const r = await tsnasInProcess(['search', name, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const flags = listed(r.stdout);
    const mine = own.get(name)!;
    for (const f of common) assert.ok(flags.has(f), `${name}: the common --${f} is listed`);
    for (const f of mine) assert.ok(flags.has(f), `${name}: its --${f} is listed`);
    for (const f of flags)
      assert.ok(common.has(f) || mine.has(f), `${name}: --${f} is neither common nor ${name}'s own`);
    for (const old of ['weight-lr', 'search-batch-size', 'search-limit-train', 'search-threads', 'val-fraction'])
      assert.ok(!flags.has(old), `${name}: the former --${old} is not listed`);
    assert.match(r.stdout, new RegExp(`Options of ${name}:`));
  }
  const dnas = await tsnasInProcess(['search', 'dnas', '--help']);
  const text = dnas.stdout.replace(/\s+/g, ' ');
  assert.match(text, /--theta-lr <lr> Adam learning rate of the architecture logits/);
  assert.match(
    text,
    /--supernet-lr <lr> base learning rate of the supernet's weights \(SGD, cosine\) \(default 0\.05\)/,
  );
  assert.match(text, /Common flags dnas takes for its own options: --epochs the supernet's SEARCH epochs/);
  assert.match(text, /\(default: --limit-train, else all\)/, 'fields in descriptions are shown as flags');
  const spos = listed((await tsnasInProcess(['search', 'spos', '--help'])).stdout);
  assert.ok(!spos.has('theta-lr') && !spos.has('alpha-lr') && !spos.has('predictor-batch-size'));
});

test('the weight-sharing options: one flag each in every method that has them; a former name is read, for its methods only', async () => {
  const shared = [
    'supernet-batch-size',
    'supernet-lr',
    'supernet-limit-train',
    'supernet-threads',
    'supernet-val-fraction',
  ];
  for (const name of ['dnas', 'spos', 'abs', 'nse']) {
    const flags = optionFlags(strategyPlugins().find((p) => p.name === name)!);
    for (const f of shared)
      assert.ok(
        flags.some((x) => x.flag === f && !x.aliasOf),
        `${name} has --${f}`,
      );
    assert.deepEqual(
      flags.filter((x) => x.flag === 'supernet-lr').map((x) => x.option),
      ['lr'],
      `${name}: one option key`,
    );
    assert.ok(
      flags.some((x) => x.flag === 'weight-lr' && x.aliasOf === 'supernet-lr'),
      `${name}: --weight-lr is a former name of --supernet-lr`,
    );
  }
  // The former name belongs to the weight-sharing methods: random has no such option.
  // In a process of its own: the error of a flag the action refuses is printed by bin/tsnas.js.
  const r = tsnas([
    'search',
    'random',
    '--space',
    'fbnet-s',
    '--evaluator',
    'synthetic',
    '--weight-lr',
    '0.1',
    '--store',
    ':memory:',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--weight-lr only applies to the dnas, spos, abs, nse strategies/);
  const bad = tsnas([
    'search',
    'nse',
    '--space',
    'fbnet-s',
    '--data',
    'synthetic:0',
    '--search-batch-size',
    '0',
    '--store',
    ':memory:',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--search-batch-size must be a positive integer, got '0'/, 'a former name checks its value');
});

test("a flag error points to the help that lists the flags: the strategy's own when one is given", async () => {
  const given = await tsnasInProcess(['search', 'dnas', '--space', 'fbnet-s', '--thetalr', '0.1']);
  assert.equal(given.code, 1);
  assert.match(given.stderr, /unknown option '--thetalr'/);
  assert.match(given.stderr, /\(npx tsnas search dnas --help lists the options\)/);
  // The strategy after the flags is still the one given.
  const after = await tsnasInProcess(['search', '--space', 'fbnet-s', 'nars', '--trails', '3']);
  assert.match(after.stderr, /\(npx tsnas search nars --help lists the options\)/);
  // Without a strategy (a config file names it), the common help.
  const none = await tsnasInProcess(['search', '--trails', '3']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /\(npx tsnas search --help lists the options\)/);
  // Another command's hint is its own.
  const train = await tsnasInProcess(['train', 'fbnet-s', 'fbnet-s-baseline', '--epochs', '0']);
  assert.match(train.stderr, /\(npx tsnas train --help lists the options\)/);
});

test('--data in the helps of search, search STRATEGY, train and eval lists every data set form, image folders and manifests too', async () => {
  for (const args of [['search'], ['search', 'random'], ['train'], ['eval']]) {
    const r = await tsnasInProcess([...args, '--help']);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.replace(/\s+/g, ' ');
    const from = text.indexOf('--data <set>');
    const data = text.slice(from, text.indexOf(' --', from + 1)); // its item, up to the next flag
    for (const form of ['fashion-mnist[:DIR]', 'cifar10:DIR', 'synthetic[:SEED]', 'images:DIR', 'manifest:FILE.csv'])
      assert.ok(data.includes(form), `${args.join(' ')} --help: --data lists ${form}`);
  }
});
