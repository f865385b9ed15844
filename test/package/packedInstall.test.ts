// The package as a user gets it: `npm pack`, then `npm install` of the tarball into an empty
// project, then tsnas imported by its name (CommonJS, ES modules and TypeScript's two module
// resolutions) and its command run from there. The project's node_modules starts as a hard-linked
// copy of this checkout's (already installed dependencies, so the test needs no registry and no
// rebuild of better-sqlite3); the tarball's install script finds the addon that set-up built in the
// addon cache (native/install.js), as a second install on a user's machine would.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  exports: Record<string, unknown>;
};
let tmp = '';
let project = '';
let files: string[] = [];

const run = (cmd: string, args: string[], cwd = project) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
};

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-packed-'));
  // dist/ is built (the tests run from it): pack it as it is, without prepack's second compile.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = packed[0]!.files.map((f) => f.path);
  project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'uses-tsnas', version: '1.0.0', private: true }),
  );
  execFileSync('cp', ['-al', path.join(ROOT, 'node_modules'), path.join(project, 'node_modules')]);
  const r = run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, packed[0]!.filename)]);
  assert.equal(r.status, 0, `npm install of the tarball:\n${r.out}`);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds what a user runs: no tests, benches or fixtures', () => {
  for (const must of [
    'package.json',
    'bin/tsnas.js',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'native/install.js',
    'native/binding.gyp',
    'spaces/fbnet-s.yaml',
    'src/export/onnx.proto',
  ])
    assert.ok(files.includes(must), `the tarball lacks ${must}`);
  const stray = files.filter(
    (f) => /^(test|bench|dist\/test|dist\/bench|native\/build)\/|fixtures|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'),
  );
  assert.deepEqual(stray, [], 'files a user does not run');
  assert.ok(files.length < 700, `${files.length} files`);
});

test('the installed package has its addon and loads by name: CommonJS and ES modules, every subpath', () => {
  const installed = path.join(project, 'node_modules', 'tsnas');
  assert.ok(
    fs.existsSync(path.join(installed, 'native', 'build', 'Release', 'tsnas_native.node')),
    'the addon was found or built',
  );
  const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
  const cjs = run(process.execPath, [
    '-e',
    `const t = require('tsnas');
     const n = t.tidy(() => t.randn([2, 3]).size);
     const loaded = ${JSON.stringify(subpaths)}.map((s) => Object.keys(require(s === '.' ? 'tsnas' : 'tsnas/' + s.slice(2))).length);
     console.log(JSON.stringify({ n, loaded, torch: t.runtimeInfo().torchVersion, live: t.memory().liveTensors }));`,
  ]);
  assert.equal(cjs.status, 0, cjs.out);
  const got = JSON.parse(cjs.stdout.trim().split('\n').pop()!) as {
    n: number;
    loaded: number[];
    torch: string;
    live: number;
  };
  assert.equal(got.n, 6);
  assert.equal(got.live, 0);
  assert.ok(
    got.loaded.every((k) => k > 0),
    `every subpath exports something: ${subpaths.map((s, i) => `${s} ${got.loaded[i]}`).join(', ')}`,
  );
  const esm = run(process.execPath, [
    '--input-type=module',
    '-e',
    "import { tidy, ones } from 'tsnas'; import { StudyStore } from 'tsnas/study'; import { archCost } from 'tsnas/cost';" +
      'console.log(tidy(() => ones([4]).sum().item()), typeof StudyStore, typeof archCost);',
  ]);
  assert.equal(esm.status, 0, esm.out);
  assert.equal(esm.stdout.trim(), '4 function function');
});

test("a study runs from the installed package's API: runStudy from 'tsnas/search', read back through 'tsnas/study'", () => {
  const r = run(process.execPath, [
    '-e',
    `const { runStudy } = require('tsnas/search');
     const { StudyStore } = require('tsnas/study');
     const config = { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic:2', trials: 5, seed: 4, study: 'lib' };
     runStudy({ config, store: 'studies.db' }).then((r) => {
       const s = StudyStore.open('studies.db', { readonly: true });
       const stored = s.trials(s.requireStudy('lib').id).length;
       s.close();
       console.log(JSON.stringify({ complete: r.summary.complete, created: r.created, stored, best: r.best.metrics.accuracy }));
     });`,
  ]);
  assert.equal(r.status, 0, r.out);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    complete: number;
    created: boolean;
    stored: number;
    best: number;
  };
  assert.equal(got.complete, 5);
  assert.equal(got.created, true);
  assert.equal(got.stored, 5);
  assert.ok(Number.isFinite(got.best));
});

test("TypeScript finds the package's types with node16 and with classic node resolution", () => {
  fs.writeFileSync(
    path.join(project, 'use.ts'),
    [
      "import { tidy, randn, runtimeInfo, nn } from 'tsnas';",
      "import { archCost } from 'tsnas/cost';",
      "import { StudyStore } from 'tsnas/study';",
      "import { runStudy, type StudyRunResult } from 'tsnas/search';",
      'const version: string = runtimeInfo().torchVersion;',
      'const size: number = tidy(() => randn([2, 3]).size);',
      'const layer = new nn.Linear(3, 2);',
      "const run: Promise<StudyRunResult> = runStudy({ config: { strategy: 'random', space: 'fbnet-s', trials: 1 } });",
      'export { version, size, layer, archCost, StudyStore, run };',
      // A wrong type must fail: the declarations are read, not `any`.
      '// @ts-expect-error: torchVersion is a string',
      'export const wrong: number = runtimeInfo().torchVersion;',
    ].join('\n'),
  );
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [moduleKind, resolution] of [
    ['node16', 'node16'],
    ['commonjs', 'node'],
  ]) {
    const r = run(process.execPath, [
      tsc,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      moduleKind!,
      '--moduleResolution',
      resolution!,
      '--types',
      'node',
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      'use.ts',
    ]);
    assert.equal(r.status, 0, `tsc --moduleResolution ${resolution}:\n${r.out}`);
  }
});

test('the installed command runs: --version, a space from the package, a clear word on the benchmarks', () => {
  const bin = path.join(project, 'node_modules', '.bin', 'tsnas');
  const version = run(bin, ['--version']);
  assert.equal(version.status, 0, version.out);
  assert.equal(version.stdout.trim(), pkg.version);
  const space = run(bin, ['cost', 'fbnet-s', 'fbnet-s-baseline', '--json']);
  assert.equal(space.status, 0, space.out);
  assert.match(space.stdout, /"flops"/);
  const bench = run(bin, ['bench', 'engine', '--steps', '1']);
  assert.equal(bench.status, 1);
  assert.match(bench.out, /source repository \(bench\/\)/);
});

/** The last line of a command's output, as JSON (each example ends with one). */
const lastJson = <T>(out: string): T => JSON.parse(out.trim().split('\n').pop()!) as T;

test("the examples compile against the installed package's types and run from it (docs/library.md)", () => {
  const examples = path.join(project, 'examples');
  fs.mkdirSync(examples);
  const sources = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts'));
  assert.deepEqual(
    sources.sort(),
    ['customObjective.ts', 'customStrategy.ts', 'frontCsv.ts', 'narsBudgets.ts'],
    'every example is run below',
  );
  for (const f of sources) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(examples, f));
  const tsc = run(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '--strict',
      '--skipLibCheck',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'es2022',
      '--types',
      'node',
      '--typeRoots',
      path.join(ROOT, 'node_modules', '@types'),
      '--outDir',
      'out',
      ...sources,
    ],
    examples,
  );
  assert.equal(tsc.status, 0, `tsc of the examples:\n${tsc.out}`);
  const example = (name: string, ...args: string[]) => {
    const r = run(process.execPath, [path.join('out', `${name}.js`), ...args], examples);
    assert.equal(r.status, 0, `${name}:\n${r.out}`);
    return r.stdout;
  };

  // A user's objective on a space defined in code: trials trained by the function, its reports kept.
  const custom = lastJson<{ trials: number; best: number; front: number[]; reports: number }>(
    example('customObjective', 'studies.db'),
  );
  assert.equal(custom.trials, 10);
  assert.ok(custom.best > 0.25, `better than chance (4 classes): ${custom.best}`);
  assert.ok(custom.front.length >= 1);
  assert.equal(custom.reports, 3, 'the best trial holds the three values its objective reported');

  // The finished study read back: its front as CSV, one row per front trial.
  const front = lastJson<{ out: string; cost: string; front: number[]; complete: number }>(
    example('frontCsv', 'studies.db', 'custom-objective', 'front.csv'),
  );
  assert.deepEqual(front.front, custom.front, 'the front loadStudy reads is the one the run ended with');
  const rows = fs.readFileSync(path.join(examples, 'front.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'trial,accuracy,flops,params,arch');
  assert.deepEqual(
    rows.slice(1).map((r) => Number(r.split(',')[0])),
    custom.front,
  );

  // A strategy registered from outside the package, run by name, within the study's constraint.
  const climb = lastJson<{ trials: number; climbs: number; maxFlops: number }>(example('customStrategy', 'studies.db'));
  assert.equal(climb.trials, 25);
  assert.equal(climb.climbs, 20, 'after 5 random warm-up trials, every proposal climbs');
  assert.ok(climb.maxFlops <= 6e6, `${climb.maxFlops} FLOPs within flops<=6M`);

  // NARS answers two budgets afterwards; each answer is exported to ONNX and agrees with the engine.
  const nars = lastJson<{
    answers: Array<{ budget: string; file: string; maxAbsDiff: number; flops: number; params: number }>;
    live: number;
  }>(example('narsBudgets', 'studies.db', 'answers'));
  assert.deepEqual(
    nars.answers.map((a) => a.budget),
    ['flops<=3M', 'params<=150K'],
  );
  assert.ok(nars.answers[0]!.flops <= 3e6);
  assert.ok(nars.answers[1]!.params <= 150e3);
  for (const a of nars.answers) {
    assert.ok(a.maxAbsDiff <= 1e-4, `${a.file}: ${a.maxAbsDiff}`);
    assert.ok(fs.statSync(path.join(examples, a.file)).size > 1000);
  }
  assert.equal(nars.live, 0);
});
