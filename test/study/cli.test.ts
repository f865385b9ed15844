// tsnas search and tsnas study end to end, as a user runs them: real child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main';
import { cliErrorText } from '../../src/cli/errorText';
import { StudyStore } from '../../src/study/store';
import { PACKAGE_ROOT, TSNAS_BIN, tsnas } from '../helpers/tsnasCli';

/** Runs the command line in this process; returns what it reported as an error. */
async function cliError(args: string[]): Promise<string> {
  const program = buildProgram();
  let err = '';
  const quiet = (c: Command) => {
    c.exitOverride();
    c.configureOutput({
      writeErr: (t) => {
        err += t;
      },
      writeOut: () => {},
      outputError: (t, write) => write(t),
    });
    c.commands.forEach(quiet);
  };
  quiet(program);
  try {
    await program.parseAsync(['node', 'tsnas', ...args]);
  } catch (e) {
    return `${cliErrorText(e, program)}\n${err}`;
  }
  return `no error${err ? `: ${err}` : ''}`;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-cli-search-'));

test('search --json, then study list / show / report; a config file with flags on top', async () => {
  const dir = tmp();
  try {
    const db = path.join(dir, 'runs', 'tsnas.db');
    const a = tsnas([
      'search',
      'evolution',
      '--space',
      'fbnet-s',
      '--evaluator',
      'synthetic:2',
      '--trials',
      '25',
      '--population',
      '8',
      '--sample-size',
      '3',
      '--constraint',
      'flops<=5M',
      '--constraint',
      'params<=120K',
      '--store',
      db,
      '--study',
      'evo',
      '--seed',
      '3',
      '--json',
    ]);
    assert.equal(a.code, 0, a.stderr);
    const res = JSON.parse(a.last);
    assert.deepEqual(Object.keys(res).slice(0, 3), ['study', 'best', 'trials']);
    assert.equal(res.study, 'evo');
    assert.equal(res.trials, 25);
    assert.equal(typeof res.best.arch, 'string');
    assert.ok(res.best.metrics.accuracy > 0.5 && res.best.metrics.flops <= 5e6 && res.best.metrics.params <= 120e3);
    // A progress line per trial on stderr: number, source, arch, metric, costs, best so far.
    const lines = a.stderr.split('\n').filter((l) => l.startsWith('trial '));
    assert.equal(lines.length, 25);
    assert.match(
      lines[24]!,
      /^trial {2}24 mutation +[0-9-]+ {2}accuracy 0\.\d{4} {2}flops [\d.]+[KM] params [\d.]+[KM] {2}\| best 0\.\d{4} \(#\d+\)/,
    );

    // The config file: YAML, relative paths against the file, flags override it.
    const cfg = path.join(dir, 'search.yaml');
    fs.writeFileSync(
      cfg,
      [
        'strategy: random',
        'space: fbnet-s',
        'evaluator: synthetic:2',
        'trials: 50',
        'seed: 1',
        'store: runs/tsnas.db',
        'constraints: [flops<=4M]',
      ].join('\n'),
    );
    const b = tsnas(['search', '--config', cfg, '--trials', '6', '--study', 'rnd', '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(b.last).trials, 6, '--trials overrides the file');
    const store = StudyStore.open(db, { readonly: true });
    const rnd = store.requireStudy('rnd');
    assert.equal(rnd.strategy, 'random');
    assert.deepEqual(rnd.constraints, ['flops<=4M']);
    assert.equal(rnd.seed, 1);
    assert.equal((rnd.config as { trials: number }).trials, 6);
    store.close();

    // --resume with more trials continues the study.
    const c = tsnas(['search', '--resume', 'rnd', '--store', db, '--trials', '8', '--json']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(JSON.parse(c.last).trials, 8);
    assert.match(c.stderr, /resuming study 'rnd': 6 complete, 0 failed/);

    const list = tsnas(['study', 'list', '--store', db]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^study +strategy +space +evaluator +complete +failed +running +best +created/);
    assert.match(list.stdout, /\nevo +evolution +fbnet-s +synthetic:2 +25 +0 +0 +accuracy 0\.\d{4}/);
    assert.match(list.stdout, /\nrnd +random +fbnet-s +synthetic:2 +8 +0 +0 /);
    const listJson = JSON.parse(tsnas(['study', 'list', '--store', db, '--json']).last);
    assert.deepEqual(
      listJson.map((s: { name: string }) => s.name),
      ['evo', 'rnd'],
    );
    assert.equal(listJson[0].best.arch, res.best.arch);

    const show = tsnas(['study', 'show', 'evo', '--store', db, '--top', '3']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /strategy +evolution \{"population":8,"sampleSize":3/);
    assert.match(show.stdout, /constraints flops<=5M params<=120K/);
    assert.match(show.stdout, /25 complete, 0 failed \(0 interrupted\)/);
    assert.match(show.stdout, /best 3 by accuracy:/);
    assert.ok(show.stdout.includes(`best: trial ${res.best.number}, accuracy`));
    const showJson = JSON.parse(tsnas(['study', 'show', 'evo', '--store', db, '--json']).last);
    assert.equal(showJson.trials.length, 25);
    assert.equal(showJson.best.arch, res.best.arch);

    // The report, where the renderer is built.
    if (fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'src', 'report', 'index.js'))) {
      const out = path.join(dir, 'evo.html');
      const rep = tsnas(['study', 'report', 'evo', '--store', db, '-o', out, '--baseline', 'rnd']);
      assert.equal(rep.code, 0, rep.stderr);
      assert.equal(rep.last, out);
      const html = fs.readFileSync(out, 'utf8');
      assert.match(html, /<html/i);
      assert.ok(html.includes('evo'));
      assert.match(html, /<svg/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('search with the training evaluator: epochs recorded per trial, checkpoints referenced as artifacts', () => {
  const dir = tmp();
  try {
    const db = path.join(dir, 'tsnas.db');
    const r = tsnas([
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--data',
      'synthetic:2',
      '--epochs',
      '1',
      '--limit-train',
      '100',
      '--trials',
      '2',
      '--store',
      db,
      '--study',
      'tr',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.last);
    assert.equal(res.trials, 2);
    assert.ok(res.best.metrics.accuracy >= 0 && res.best.metrics.accuracy <= 1);
    const store = StudyStore.open(db, { readonly: true });
    const s = store.requireStudy('tr');
    assert.equal(s.evaluator, 'train');
    assert.equal(s.data, 'synthetic:2');
    const trials = store.trials(s.id);
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      assert.equal(t.epochs.length, 1);
      assert.equal(t.epochs[0]!.epoch, 1);
      assert.equal(t.metrics.accuracy, t.epochs[0]!.valAcc, 'accuracy is the validation accuracy');
      assert.equal(t.metrics.testAcc, undefined, 'no test accuracy unless asked');
      assert.equal((t.recipe as { epochs: number }).epochs, 1);
      // FLOPs for the data's input (1x16x16), not the space's default 3x32x32.
      assert.ok(t.costs.flops! < 5e6);
      const ck = store.artifacts(s.id, { trialId: t.id, kind: 'checkpoint' });
      assert.equal(ck.length, 1);
      assert.ok(fs.existsSync(path.join(store.artifactPath(ck[0]!), 'checkpoint.safetensors')));
    }
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('search and study: bad input gets an error naming what is wrong and what to do', async () => {
  const dir = tmp();
  try {
    const db = path.join(dir, 'tsnas.db');
    assert.equal(
      tsnas([
        'search',
        'random',
        '--space',
        'fbnet-s',
        '--evaluator',
        'synthetic',
        '--trials',
        '2',
        '--store',
        db,
        '--study',
        'one',
      ]).code,
      0,
    );
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'strategy: random\nspace: fbnet-s\ntrials: many\nevolution: {}\n');
    const cases: Array<[string[], RegExp]> = [
      [
        ['search', 'annealing', '--space', 'fbnet-s', '--evaluator', 'synthetic', '--store', db],
        /unknown strategy 'annealing' \(strategies: random, evolution/,
      ],
      [
        ['search', 'random', '--space', 'nospace', '--evaluator', 'synthetic', '--store', db],
        /unknown space 'nospace'/,
      ],
      [
        [
          'search',
          'random',
          '--space',
          'fbnet-s',
          '--evaluator',
          'synthetic',
          '--constraint',
          'flops<=10K',
          '--store',
          db,
        ],
        /constraint flops<=10K cannot be met in space 'fbnet-s': its smallest flops is [\d.]+K \(exactly/,
      ],
      [
        [
          'search',
          'random',
          '--space',
          'fbnet-s',
          '--evaluator',
          'synthetic',
          '--constraint',
          'flops<300M',
          '--store',
          db,
        ],
        /invalid constraint 'flops<300M'/,
      ],
      [
        ['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic', '--store', db, '--study', 'one'],
        /study 'one' already exists .*continue it with: npx tsnas search --resume one/,
      ],
      [['search', '--resume', 'two', '--store', db], /no study 'two' in .* \(studies: one\)/],
      [['search', '--resume', 'one', '--store', db, '--space', 'fbnet'], /'space' cannot change when a study resumes/],
      [
        ['search', '--config', bad, '--evaluator', 'synthetic', '--store', db],
        /invalid config file .*bad.yaml:\n {2}trials: .*\n {2}\(top level\): .*evolution/,
      ],
      [['search', '--config', path.join(dir, 'none.yaml')], /cannot read config file .*none.yaml: ENOENT/],
      [
        ['search', 'random', '--space', 'fbnet-s', '--store', db],
        /nothing to evaluate with: give --data D .* or --evaluator/,
      ],
      [
        ['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic', '--data', 'synthetic', '--store', db],
        /give one of them/,
      ],
      [
        [
          'search',
          'evolution',
          '--space',
          'fbnet-s',
          '--evaluator',
          'synthetic',
          '--population',
          '3',
          '--sample-size',
          '5',
          '--store',
          db,
        ],
        /options.sampleSize: sampleSize must not exceed population/,
      ],
      [
        [
          'search',
          'random',
          '--space',
          'fbnet-s',
          '--evaluator',
          'synthetic',
          '--constraint',
          'latency<=2ms',
          '--store',
          db,
        ],
        /needs a latency table: give --lut FILE/,
      ],
      [['study', 'show', 'nope', '--store', db], /no study 'nope'/],
      [['study', 'list', '--store', path.join(dir, 'missing.db')], /no study store at/],
    ];
    // Three as real processes (exit code, the message on stderr), the rest through the same program in this process (fast).
    for (const [args, pattern] of cases.slice(0, 3)) {
      const r = tsnas(args);
      assert.equal(r.code, 1, `${args.join(' ')} should fail`);
      assert.match(r.stderr, new RegExp(`^tsnas: ${pattern.source}`), `${args.join(' ')}: ${r.stderr}`);
    }
    for (const [args, pattern] of cases.slice(3)) {
      const message = await cliError(args);
      assert.match(message, pattern, `${args.join(' ')}: ${message}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a store in a read-only directory: study list and show read it; a search is refused, naming the store, and nothing changes', () => {
  const dir = tmp();
  // Root writes anywhere: as root, the commands run as nobody, so the checkout must be readable by
  // all (a clone under a private directory, e.g. mktemp -d's, is not: say so rather than a bare
  // module-not-found).
  const asUser = (args: string[]) => {
    if (process.getuid?.() !== 0) return tsnas(args);
    const reach = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', TSNAS_BIN]);
    assert.equal(
      reach.status,
      0,
      `user nobody cannot read ${TSNAS_BIN}: this test runs tsnas as nobody to meet a read-only directory as root; ` +
        'make the checkout readable by all (chmod o+rx on it and its parent directories)',
    );
    const r = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, TSNAS_BIN, ...args],
      {
        cwd: PACKAGE_ROOT,
        encoding: 'utf8',
      },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr ?? String(r.error) };
  };
  const ro = path.join(dir, 'ro');
  const db = path.join(ro, 'tsnas.db');
  try {
    const made = tsnas([
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--evaluator',
      'synthetic',
      '--trials',
      '2',
      '--store',
      db,
      '--study',
      's',
    ]);
    assert.equal(made.code, 0, made.stderr);
    fs.chmodSync(dir, 0o755);
    for (const f of fs.readdirSync(ro, { recursive: true, encoding: 'utf8' }))
      fs.chmodSync(path.join(ro, f), fs.statSync(path.join(ro, f)).isDirectory() ? 0o555 : 0o444);
    fs.chmodSync(ro, 0o555);
    const before = fs.readdirSync(ro, { recursive: true, encoding: 'utf8' }).sort();
    const bytes = fs.readFileSync(db);
    const list = asUser(['study', 'list', '--store', db]);
    assert.equal(list.code, 0, `study list in a read-only directory: ${list.stderr}`);
    assert.match(list.stdout, /^s +random +fbnet-s/m);
    const show = asUser(['study', 'show', 's', '--store', db]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /2 complete/);
    const resume = asUser(['search', '--resume', 's', '--trials', '3', '--store', db]);
    assert.equal(resume.code, 1);
    assert.match(
      resume.stderr,
      new RegExp(`^tsnas: cannot write the study store ${db}: the file or its directory ${ro} is read-only`),
    );
    assert.match(resume.stderr, /Reading works read-only: npx tsnas study list --store/);
    assert.deepEqual(fs.readdirSync(ro, { recursive: true, encoding: 'utf8' }).sort(), before);
    assert.deepEqual(fs.readFileSync(db), bytes);
  } finally {
    // Writable again (as a user, removing files needs their directory writable).
    fs.chmodSync(ro, 0o755);
    for (const f of fs.readdirSync(ro, { recursive: true, encoding: 'utf8' }))
      if (fs.statSync(path.join(ro, f)).isDirectory()) fs.chmodSync(path.join(ro, f), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a search prints its progress as trials settle, and a study at chance level says so: search, study show, study report', () => {
  const dir = tmp();
  try {
    const db = path.join(dir, 'tsnas.db');
    // As a new user's first try: one epoch on 100 images, every network still guesses one class.
    const r = tsnas([
      'search',
      'random',
      '--space',
      'fbnet-s',
      '--data',
      'synthetic:2',
      '--epochs',
      '1',
      '--limit-train',
      '100',
      '--trials',
      '3',
      '--store',
      db,
      '--study',
      'chance',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n');
    const progress = lines.filter((l) => l.startsWith('progress: '));
    assert.match(progress[0]!, /^progress: 1 of 3 complete, 0 failed, \d+s elapsed, about \d+s left$/);
    assert.match(progress.at(-1)!, /^progress: 3 of 3 complete, 0 failed, \d+s elapsed, done$/);
    assert.ok(
      lines.indexOf(progress[0]!) === lines.findIndex((l) => l.startsWith('trial   0 ')) + 1,
      'the first progress line right after the first trial',
    );
    const store = StudyStore.open(db, { readonly: true });
    const accuracies = store.trials(store.requireStudy('chance').id).map((t) => t.metrics.accuracy);
    store.close();
    assert.deepEqual(accuracies, [0.1, 0.1, 0.1], 'the runs sit at chance (10 classes)');
    const warning = lines.find((l) => l.startsWith('warning: '));
    assert.ok(warning, r.stderr);
    for (const part of [
      'All 3 complete trials sit at chance level: accuracy 10.00%',
      'guessing among 10 classes gives 10.00%',
      '--train-epochs or --limit-train',
    ])
      assert.ok(warning.includes(part), `${warning} lacks '${part}'`);

    const show = tsnas(['study', 'show', 'chance', '--store', db]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /\nwarning: All 3 complete trials sit at chance level/);

    if (fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'src', 'report', 'index.js'))) {
      const out = path.join(dir, 'chance.html');
      const rep = tsnas(['study', 'report', 'chance', '--store', db, '-o', out]);
      assert.equal(rep.code, 0, rep.stderr);
      assert.match(rep.stderr, /^warning: All 3 complete trials sit at chance level/);
      const html = fs.readFileSync(out, 'utf8');
      const header = /<header>\s*<div class="warnings" id="warnings"><p class="warning" role="alert">([^<]*)<\/p>/.exec(
        html,
      );
      assert.ok(header, 'the warning is the first thing in the report');
      assert.match(header[1]!, /All 3 complete trials sit at chance level: accuracy 10\.00%/);
      // The epochs are drawn, and the learning curves, choices per layer and parallel coordinates are there.
      for (const name of ['curves-valAcc', 'curves-valLoss', 'op-frequency', 'parallel-coordinates'])
        assert.match(html, new RegExp(`data-chart="${name}"`), name);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
