// `tsnas search dnas` schedule flags: --theta-lr, --tau0 and --tau-decay reach the stored study
// configuration and the supernet search (its checkpoint's settings and each epoch's temperature);
// they are refused with other strategies and checked. One tiny search (the test space, 2 epochs
// on 64 synthetic images, the argmax trained 1 epoch), in a child process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { DnasEpochRecord } from '../../src/search/fbnet/dnas';
import { dnasOptions } from '../../src/search/fbnet';
import { TINY_SPACE_YAML } from '../helpers/tinySpace';
import { tsnas } from '../helpers/tsnasCli';

let dir = '';
let db = '';
let spaceFile = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-dnas-flags-'));
  db = path.join(dir, 'tsnas.db');
  spaceFile = path.join(dir, 'tiny.yaml');
  fs.writeFileSync(spaceFile, TINY_SPACE_YAML);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('--theta-lr, --tau0, --tau-decay reach the study config and the supernet search', () => {
  const r = tsnas([
    'search',
    'dnas',
    '--space',
    spaceFile,
    '--data',
    'synthetic:0',
    '--cost',
    'flops',
    '--epochs',
    '2',
    '--warmup',
    '1',
    '--samples',
    '0',
    '--train-epochs',
    '1',
    '--limit-train',
    '64',
    '--threads',
    '1',
    '--theta-lr',
    '0.2',
    '--tau0',
    '3',
    '--tau-decay',
    '0.5',
    // A former name of --supernet-lr (DNAS's before the weight-sharing options were shared).
    '--weight-lr',
    '0.04',
    '--supernet-val-fraction',
    '0.25',
    '--store',
    db,
    '--study',
    's',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /theta lr 0\.2, tau 3 · exp\(-0\.5 · epoch\)/, 'the settings line');
  assert.match(
    r.stderr,
    /note: the temperature ends at 1\.82 after 2 epochs .*--tau-decay 2 would end near the paper's/,
    'a short search is told how to anneal',
  );

  const conn = new Database(db, { readonly: true });
  let config: { options: Record<string, unknown> };
  let records: DnasEpochRecord[];
  try {
    config = JSON.parse(
      (conn.prepare('SELECT config FROM studies WHERE name = ?').get('s') as { config: string }).config,
    );
    const row = conn
      .prepare(
        "SELECT v.value FROM strategy_state v JOIN studies s ON s.id = v.study_id WHERE s.name = 's' AND v.key = 'dnas.records'",
      )
      .get() as { value: string };
    records = JSON.parse(row.value);
  } finally {
    conn.close();
  }
  assert.equal(config.options.thetaLr, 0.2);
  assert.equal(config.options.tau0, 3);
  assert.equal(config.options.tauDecay, 0.5);
  assert.equal(config.options.batchSize, 64);
  assert.equal(config.options.lr, 0.04, '--weight-lr sets the shared lr');
  assert.ok(!('weightLr' in config.options), 'stored under its key today');
  assert.equal(config.options.valFraction, 0.25);
  assert.deepEqual(
    records.map((x) => x.tau),
    [3, 3 * Math.exp(-0.5)],
    'the temperature of each epoch',
  );

  const checkpoint = JSON.parse(fs.readFileSync(path.join(dir, 'studies', 's', 'supernet', 'checkpoint.json'), 'utf8'));
  const run = checkpoint.run;
  assert.equal(run.config.thetaLr, 0.2, "the search's Adam learning rate");
  assert.equal(run.config.tau0, 3);
  assert.equal(run.config.tauDecay, 0.5);
  assert.equal(run.config.batchSize, 64);
  assert.equal(run.config.weightLr, 0.04, "the supernet's learning rate");
  assert.equal(run.config.thetaFraction, 0.25, 'the validation share trains theta');

  // The report's temperature chart states the schedule that was used.
  const html = path.join(dir, 's.html');
  const rep = tsnas(['study', 'report', 's', '--store', db, '-o', html]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(
    fs.readFileSync(html, 'utf8').includes('3 · exp(-0.5 · (epoch - 1))'),
    'the temperature chart names the schedule used',
  );
});

test('schedule flags: refused with other strategies, values checked, absent from the config when not given', () => {
  const random = tsnas([
    'search',
    'random',
    '--space',
    spaceFile,
    '--evaluator',
    'synthetic',
    '--tau0',
    '2',
    '--store',
    db,
    '--study',
    'x',
  ]);
  assert.equal(random.code, 1);
  assert.match(random.stderr, /--tau0 only applies to the dnas strategy/);
  const decay = tsnas([
    'search',
    'dnas',
    '--space',
    spaceFile,
    '--data',
    'synthetic:0',
    '--cost',
    'flops',
    '--tau-decay',
    '-1',
    '--store',
    db,
    '--study',
    'x',
  ]);
  assert.notEqual(decay.code, 0);
  assert.match(decay.stderr, /--tau-decay must be a number >= 0, got '-1'/);
  const lr = tsnas([
    'search',
    'dnas',
    '--space',
    spaceFile,
    '--data',
    'synthetic:0',
    '--cost',
    'flops',
    '--theta-lr',
    '0',
    '--store',
    db,
    '--study',
    'x',
  ]);
  assert.notEqual(lr.code, 0);
  assert.match(lr.stderr, /--theta-lr must be a positive number, got '0'/);
  assert.match(tsnas(['search', 'dnas', '--help']).stdout, /--tau-decay <d> +per-epoch decay/);
  const defaults = dnasOptions.parse({});
  assert.ok(
    !('tau0' in defaults) && !('tauDecay' in defaults),
    'not given, not stored: older studies keep matching their stored options',
  );
});
