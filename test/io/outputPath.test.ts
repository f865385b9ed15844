// The directories commands write into (src/io/outputPath.ts): made one level at a time and each
// checked, so that a path that cannot hold one (/proc, /sys: Node's recursive mkdir loops forever
// under /proc) fails at once naming the directory and the reason; the probe before long work
// changes nothing on disk. A synchronous loop cannot be stopped from inside this process, so the
// /proc cases run in a child process with a kill timer and the test has a node:test timeout (hang
// guards, not timing assertions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkOutputDir, ensureOutputDir, makeDirs, OutputDirError, probeDir } from '../../src/io/outputPath';
import { checkOutputPath, writeOutputFile } from '../../src/io/writeOutputFile';
import { throwsWith } from '../data/fixtures';

test('makeDirs makes every missing level, accepts what exists, and names a file on the way', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-outdir-'));
  try {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirs(deep);
    assert.ok(fs.statSync(deep).isDirectory());
    makeDirs(deep);
    makeDirs(path.relative(process.cwd(), path.join(dir, 'a', 'b2')));
    assert.ok(fs.statSync(path.join(dir, 'a', 'b2')).isDirectory());
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    assert.throws(
      () => makeDirs(path.join(dir, 'f', 'g', 'h')),
      (e: Error) =>
        e instanceof OutputDirError &&
        e.code === 'ENOTDIR' &&
        e.message === `a part of its path is a file, not a directory: ${path.join(dir, 'f')}`,
    );
    throwsWith(
      () => ensureOutputDir(path.join(dir, 'f'), 'run directory', 'give another run directory (-o DIR)'),
      [`cannot write the run directory ${path.join(dir, 'f')}: a part of its path is a file`, '(-o DIR)'],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the probe before the work changes nothing on disk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-outdir-'));
  try {
    probeDir(path.join(dir, 'x', 'y'));
    probeDir(dir);
    checkOutputDir(path.join(dir, 'run'), 'run directory');
    checkOutputPath(path.join(dir, 'new', 't.json'), 'latency table');
    assert.deepEqual(fs.readdirSync(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `code` (JavaScript using the compiled module) in a child with a kill timer. */
function inChild(code: string): { status: number | null; stdout: string; stderr: string } {
  const mod = JSON.stringify(require.resolve('../../src/io/outputPath'));
  const wmod = JSON.stringify(require.resolve('../../src/io/writeOutputFile'));
  const r = spawnSync(process.execPath, ['-e', `const O = require(${mod}); const W = require(${wmod});\n${code}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('under /proc and /sys: each fails at once with the directory and the reason', { timeout: 300_000 }, () => {
  const cases: { call: string; says: string[] }[] = [
    {
      call: `O.makeDirs('/proc/tsnas-nonexist/a/b')`,
      says: [
        'cannot create the directory /proc/tsnas-nonexist:',
        'the filesystem of /proc does not allow new directories',
      ],
    },
    {
      call: `O.probeDir('/proc/tsnas-nonexist/a')`,
      says: ['cannot create the directory /proc/tsnas-nonexist:', 'does not allow new directories'],
    },
    { call: `O.probeDir('/proc')`, says: ['cannot write into /proc', 'does not allow new files'] },
    { call: `O.makeDirs('/sys/tsnas-nonexist/a')`, says: ['cannot create the directory /sys/tsnas-nonexist:'] },
    {
      call: `W.writeOutputFile('/proc/tsnas-nonexist/r.html', 'x', 'report')`,
      says: ['cannot write the report /proc/tsnas-nonexist/r.html: cannot create the directory /proc/tsnas-nonexist'],
    },
    {
      call: `W.checkOutputPath('/sys/tsnas-nonexist/t.json', 'latency table')`,
      says: [
        'cannot write the latency table /sys/tsnas-nonexist/t.json: cannot create the directory /sys/tsnas-nonexist',
      ],
    },
    {
      call: `O.ensureOutputDir('/proc/tsnas-nonexist/run', 'run directory')`,
      says: [
        'cannot write the run directory /proc/tsnas-nonexist/run: cannot create the directory /proc/tsnas-nonexist',
      ],
    },
  ];
  const code = `
    const out = [];
    for (const f of [${cases.map((c) => `() => ${c.call}`).join(', ')}]) {
      try { f(); out.push('no error'); } catch (e) { out.push(e.message); }
    }
    console.log(JSON.stringify(out));`;
  const r = inChild(code);
  assert.equal(r.status, 0, `the child did not finish (status ${r.status}; a loop killed by the guard?): ${r.stderr}`);
  const messages = JSON.parse(r.stdout) as string[];
  for (const [i, c] of cases.entries())
    for (const w of c.says) assert.ok(messages[i]!.includes(w), `${c.call}: no '${w}' in: ${messages[i]}`);
  assert.ok(!fs.existsSync('/proc/tsnas-nonexist') && !fs.existsSync('/sys/tsnas-nonexist'));
});

test('writeOutputFile still writes through makeDirs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-outdir-'));
  try {
    writeOutputFile(path.join(dir, 'p', 'q', 'f.json'), '{}', 'result');
    assert.equal(fs.readFileSync(path.join(dir, 'p', 'q', 'f.json'), 'utf8'), '{}');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
