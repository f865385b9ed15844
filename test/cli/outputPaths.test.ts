// Output paths where no directory can be made (/proc, /sys): every command that writes a file or
// a folder fails at once with the path and the reason, and writes nothing. Node's recursive mkdir
// loops forever under /proc (issue 23), so each command runs as a real process with a kill timer,
// and the test has a node:test timeout: both are hang guards, not timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStudy } from '../../src/search/runStudy';
import { tsnasAsync } from '../helpers/tsnasCli';

/** A hang guard per command (a spinning mkdir is killed), far beyond any machine's pace. */
const KILL_AFTER_MS = 120_000;

const PROC = '/proc/tsnas-nonexist';
const SYS = '/sys/tsnas-nonexist';

const CASES: { what: string; args: (dir: string) => string[]; says: string[] }[] = [
  {
    what: 'export -o under /proc',
    args: () => ['export', 'fbnet-s', 'fbnet-s-baseline', '--no-verify', '-o', `${PROC}/x.onnx`],
    says: [`cannot write the ONNX model ${PROC}/x.onnx`, `cannot create the directory ${PROC}`, 'ENOENT', '/proc'],
  },
  {
    what: 'export -o into /proc itself',
    args: () => ['export', 'fbnet-s', 'fbnet-s-baseline', '--no-verify', '-o', '/proc/tsnas-x.onnx'],
    says: ['cannot write the ONNX model /proc/tsnas-x.onnx', 'does not allow new files'],
  },
  {
    what: 'export -o under /sys',
    args: () => ['export', 'fbnet-s', 'fbnet-s-baseline', '--no-verify', '-o', `${SYS}/a/x.onnx`],
    says: [`cannot write the ONNX model ${SYS}/a/x.onnx`, `cannot create the directory ${SYS}`],
  },
  {
    what: 'study report -o under /proc',
    args: (dir) => ['study', 'report', 'one', '--store', path.join(dir, 'store.db'), '-o', `${PROC}/r.html`],
    says: [`cannot write the report ${PROC}/r.html`, `cannot create the directory ${PROC}`],
  },
  {
    what: 'study report -o under /sys',
    args: (dir) => ['study', 'report', 'one', '--store', path.join(dir, 'store.db'), '-o', `${SYS}/r.html`],
    says: [`cannot write the report ${SYS}/r.html`, `cannot create the directory ${SYS}`],
  },
  {
    what: 'lut build -o under /proc (refused before any timing)',
    args: () => ['lut', 'build', 'fbnet-s', '-o', `${PROC}/t.json`],
    says: [`cannot write the latency table ${PROC}/t.json`, `cannot create the directory ${PROC}`],
  },
  {
    what: 'train -o under /proc (refused before any training)',
    args: () => ['train', 'fbnet-s', 'fbnet-s-baseline', '--data', 'synthetic', '-o', `${PROC}/run`],
    says: [`cannot write the run directory ${PROC}/run`, `cannot create the directory ${PROC}`, '-o DIR'],
  },
  {
    what: 'bench baseline -o under /sys',
    args: () => ['bench', 'baseline', '--data', 'synthetic', '-o', `${SYS}/run`],
    says: [`cannot write the run directory ${SYS}/run`, `cannot create the directory ${SYS}`],
  },
  {
    what: 'search --store under /proc',
    args: () => ['search', 'random', '--space', 'fbnet-s', '--evaluator', 'synthetic', '--store', `${PROC}/s.db`],
    says: [`study store ${PROC}/s.db`, `cannot create the directory ${PROC}`],
  },
];

test(
  'output paths under /proc and /sys: each command fails at once, naming the path and the reason',
  { timeout: 600_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-outpaths-'));
    try {
      await runStudy({
        config: { strategy: 'random', space: 'fbnet-s', evaluator: 'synthetic', trials: 2, study: 'one' },
        store: path.join(dir, 'store.db'),
      });
      const before = fs.readdirSync(dir).sort();
      const runs = await Promise.all(CASES.map((c) => tsnasAsync(c.args(dir), { cwd: dir, timeoutMs: KILL_AFTER_MS })));
      const failures: string[] = [];
      for (const [i, c] of CASES.entries()) {
        const r = runs[i]!;
        const problems: string[] = [];
        if (r.code === null) problems.push('it was still running when the hang guard killed it');
        else if (r.code !== 1) problems.push(`exit code ${r.code}, expected 1`);
        for (const w of c.says) if (!r.stderr.includes(w)) problems.push(`no '${w}'`);
        if (problems.length) failures.push(`${c.what}: ${problems.join('; ')}\n  stderr: ${r.stderr.trim()}`);
      }
      assert.deepEqual(failures, [], failures.join('\n\n'));
      assert.deepEqual(fs.readdirSync(dir).sort(), before, 'nothing written beside the store');
      assert.ok(!fs.existsSync(PROC) && !fs.existsSync(SYS));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
