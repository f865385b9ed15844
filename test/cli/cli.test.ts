// The space, cost and lut commands end to end: `node bin/tsnas.js ...` in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../data/fixtures';
import { tsnasAsync } from '../helpers/tsnasCli';

/** Independent calls run concurrently (each start loads libtorch, ~0.7 s); a hung one is killed after 10 minutes (not a speed check). */
const tsnas = (args: string[], input?: string) => tsnasAsync(args, { input, timeoutMs: 600_000 });
async function ok(args: string[], input?: string): Promise<string> {
  const r = await tsnas(args, input);
  assert.equal(r.code, 0, `tsnas ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}
async function fails(args: string[], parts: (string | RegExp)[]): Promise<string> {
  const r = await tsnas(args);
  assert.notEqual(r.code, 0, `tsnas ${args.join(' ')} should fail; stdout:\n${r.stdout}`);
  for (const p of parts) {
    if (typeof p === 'string')
      assert.ok(r.stderr.includes(p), `stderr of tsnas ${args.join(' ')} should contain '${p}':\n${r.stderr}`);
    else assert.match(r.stderr, p);
  }
  return r.stderr;
}
const jsonLines = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('space list, show, sample: text and JSON; samples are seeded and are architectures of the space', async () => {
  const [text, allJson, show, v3, mnv2, a, a2, q, j] = await Promise.all([
    ok(['space', 'list']),
    ok(['space', 'list', '--json']),
    ok(['space', 'show', 'fbnet-s']),
    ok(['space', 'show', 'fbnetv3']),
    ok(['space', 'show', 'mobilenetv2', '--json']),
    ok(['space', 'sample', 'fbnet-s', '-n', '5', '--seed', '3']),
    ok(['space', 'sample', 'fbnet-s', '-n', '5', '--seed', '3']),
    ok(['space', 'sample', 'fbnet-s', '-n', '4', '--qmc']),
    ok(['space', 'sample', 'fbnet-s', '-n', '2', '--json']),
  ]);
  for (const x of ['fbnet', 'fbnetv3', 'mobilenetv2', 'fbnet-s', 'fbnet-a', '387,420,489'])
    assert.ok(text.includes(x), x);
  const all = JSON.parse(allJson);
  assert.deepEqual(
    all.map((x: { name: string }) => x.name),
    ['fbnet', 'fbnetv3', 'mobilenetv2', 'fbnet-s', 'fbnetv3-s', 'nse-s'],
  );
  assert.equal(all.find((x: { name: string }) => x.name === 'fbnet-s').size, '387420489');
  assert.match(show, /stages\.1\.0\s+16x32x32\s+24x16x16\s+2\s+layer2: ir_k3_e1 ir_k3_e1_g2/);
  assert.match(show, /fbnet-s-baseline\s+11\.22M MACs/);
  assert.match(v3, /resolution\s+224\.\.264 \(6 values\)/);
  assert.equal(JSON.parse(mnv2).namedArchitectures[0].flops, 300774272);
  const sample = a.trim().split('\n');
  assert.equal(sample.length, 5);
  assert.equal(a2, a, 'same seed, same sample');
  assert.equal(q.trim().split('\n').length, 4);
  assert.notDeepEqual(q.trim().split('\n'), sample.slice(0, 4));
  assert.ok(
    jsonLines(j).every((x) => typeof x.arch === 'string' && /^\d+(-\d+){8}$/.test(x.indices) && x.values.layer1),
  );
  // The sampled strings are architectures: as arguments, and through a pipe (tsnas space sample ... | tsnas cost fbnet-s -).
  const [costs, piped] = await Promise.all([
    ok(['cost', 'fbnet-s', ...sample, '--json']),
    ok(['cost', 'fbnet-s', '-', '--json'], a),
  ]);
  assert.deepEqual(
    jsonLines(costs).map((c) => c.arch),
    sample,
  );
  assert.deepEqual(
    jsonLines(piped).map((c) => c.arch),
    sample,
  );
});

test('cost: mobilenetv2 exactly 300,774,272 MACs / 3,504,872 params; fbnet-a by name, string, indices; readable tables', async () => {
  const [mj, mt, aj, bj, table, s28, layers] = await Promise.all([
    ok(['cost', 'mobilenetv2', '--json']),
    ok(['cost', 'mobilenetv2']),
    ok(['cost', 'fbnet', 'fbnet-a', '--json']),
    ok(['cost', 'fbnet-a', '--json']),
    ok(['cost', 'fbnet', 'fbnet-a', 'fbnet-b', 'fbnet-c']),
    ok(['cost', 'fbnet-s', '0-0-0-0-0-0-0-0-8', '--input', '1x28x28', '--json']),
    ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--layers']),
  ]);
  const [m] = jsonLines(mj);
  assert.equal(m.flops, 300774272);
  assert.equal(m.params, 3504872);
  assert.equal(m.latencyUs, undefined);
  assert.match(mt, /300\.77M\s+3,504,872\s+mobilenetv2/);
  const [a] = jsonLines(aj);
  assert.equal(a.name, 'fbnet-a');
  assert.equal(a.flops, 249921848);
  assert.equal(a.params, 4321464);
  assert.deepEqual(jsonLines(bj)[0], a, 'a registered name alone brings its space');
  assert.match(table, /MACs\s+params\s+architecture/);
  assert.match(table, /249\.92M\s+4,321,464\s+fbnet-a/);
  assert.match(table, /384\.96M\s+5,572,200\s+fbnet-c/);
  assert.equal(jsonLines(s28)[0].input, '1x28x28');
  assert.match(layers, /stages\.1\.0\s+ir_k3_e6\s+16x32x32\s+24x16x16\s+2/);
  // The input is named, and where nobody chose it, said to be the space's (a data set of another
  // shape costs otherwise).
  assert.match(table, /input 3x224x224 \(the space's; --input CxHxW/);
  const s28text = await ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--input', '1x28x28']);
  assert.match(s28text, /input 1x28x28\n/);
  const [c] = jsonLines(await ok(['cost', 'fbnet', a.arch, '--json']));
  assert.equal(c.flops, a.flops);
});

test('errors: unknown space (listing the valid ones), unknown architecture, bad --input, missing architecture', async () => {
  await Promise.all([
    fails(['cost', 'nosuch'], ["unknown space 'nosuch'", 'fbnet, fbnetv3, mobilenetv2, fbnet-s']),
    fails(['space', 'show', 'nosuch'], ["unknown space 'nosuch'", 'fbnet-s']),
    fails(['cost', 'fbnet-s', 'fbnet-z'], ["unknown architecture 'fbnet-z' for space 'fbnet-s'", 'fbnet-s-baseline']),
    fails(['cost', 'fbnet-s', 'fbnet-a'], ["'fbnet-a' belongs to space 'fbnet'"]),
    fails(['cost', 'fbnet-s', '0-1-2'], ['9 searched choices']),
    fails(
      ['cost', 'fbnet-s', 'fbnet-s-baseline', '--input', '3x32'],
      ['--input', "invalid input shape '3x32'", 'CxHxW'],
    ),
    fails(['cost', 'fbnet-s'], ["space 'fbnet-s' has many architectures", 'fbnet-s-baseline']),
    fails(['space', 'sample', 'fbnet-s', '-n', '0'], ['-n must be a positive integer']),
  ]);
});

test('lut build + cost --lut + lut validate --json end to end (tiny repeats); table errors', async () => {
  const dir = tempDir('cli-lut');
  const file = path.join(dir, 'fbnet-s.lut.json');
  const r = await tsnas([
    'lut',
    'build',
    'fbnet-s',
    '--threads',
    '1',
    '--repeats',
    '2',
    '--rounds',
    '1',
    '--warmup',
    '1',
    '--calibrate',
    '2',
    '-o',
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*: 67 ops of space fbnet-s at 3x32x32/);
  assert.match(r.stderr, /timing ops and 2 whole networks in 1 rounds: 69\/69 \(100%\)/, 'progress is shown');
  const table = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(table.target.runtime, 'libtorch');
  assert.ok(table.target.machine.cpu && table.target.machine.cores >= 1);
  assert.equal(typeof table.overheadUs, 'number');

  const v = await tsnas([
    'lut',
    'validate',
    'fbnet-s',
    '--lut',
    file,
    '-n',
    '3',
    '--repeats',
    '2',
    '--rounds',
    '1',
    '--json',
  ]);
  assert.equal(v.code, 0, v.stderr);
  const lines = jsonLines(v.stdout);
  const last = lines[lines.length - 1];
  assert.deepEqual(Object.keys(last), ['spearman', 'mape', 'n']);
  assert.equal(last.n, 3);
  assert.ok(last.spearman >= -1 && last.spearman <= 1 && last.mape >= 0);
  const details = lines[lines.length - 2];
  assert.ok(details.levelRatio > 0 && details.mapeAtBuildLevel >= 0, 'the level check is in the details line');

  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ ...table, entries: { x: { op: 'skip' } } }));
  const notJson = path.join(dir, 'notjson.json');
  fs.writeFileSync(notJson, '{');
  // The same table without its fitted overhead, and with 1 ms more: a 2-repeat table timed on a busy
  // machine can fit a large negative overhead (ops timed slow, networks fast), so the check is on
  // what cost adds, not on the sign of a noisy total.
  const shifted = (name: string, overheadUs: number) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, JSON.stringify({ ...table, overheadUs }));
    return f;
  };
  const runs = await Promise.all([
    ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', file, '--json']),
    ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', file]),
    fails(['lut', 'validate', 'fbnet-s', '--lut', file, '--threads', '2'], ['measured with 1 thread(s), not 2']),
    fails(
      ['lut', 'validate', 'fbnet-s', '--lut', file, '--input', '1x28x28'],
      ['built for input 3x32x32, not 1x28x28'],
    ),
    fails(['lut', 'validate', 'fbnet', '--lut', file], ["built for space 'fbnet-s', not 'fbnet'"]),
    fails(['cost', 'fbnet', 'fbnet-a', '--lut', file], ["built for space 'fbnet-s', not 'fbnet'"]),
    fails(
      ['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', file, '--input', '1x28x28'],
      ['built for input 3x32x32, not 1x28x28'],
    ),
    fails(
      ['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', path.join(dir, 'missing.json')],
      ['cannot read latency table', 'ENOENT'],
    ),
    fails(['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', bad], ['malformed latency table', 'entries.x']),
    fails(['lut', 'validate', 'fbnet-s', '--lut', notJson], ['is not valid JSON']),
    // Missing directories are made (as for every -o/--out); a path through a file cannot be.
    fails(
      ['lut', 'build', 'fbnet-s', '-o', path.join(notJson, 't.json')],
      [`cannot write the latency table ${path.join(notJson, 't.json')}`, 'a part of its path is a file', '-o/--out'],
    ),
    fails(['lut', 'build', 'fbnet-s'], ['name the table file to write: -o FILE']),
    ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', shifted('zero.json', 0), '--json']),
    ok(['cost', 'fbnet-s', 'fbnet-s-baseline', '--lut', shifted('plus1ms.json', table.overheadUs + 1000), '--json']),
  ]);
  const [cj, ct] = runs;
  const [c0, c1] = runs.slice(-2);
  const latency = (out: unknown) => jsonLines(out as string)[0].latencyUs as number;
  assert.ok(latency(c0) > 0, 'the per-op sum of a network is a positive time');
  assert.ok(
    Math.abs(latency(cj) - latency(c0) - table.overheadUs) < 0.11,
    'cost adds the fitted overhead (latencyUs to 0.1 us)',
  );
  assert.ok(Math.abs(latency(c1) - latency(cj) - 1000) < 0.11);
  assert.match(ct as string, /MACs\s+params\s+latency\s+architecture/);
});
