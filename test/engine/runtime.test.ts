// Process-wide engine facilities: the operator profiler and the allocator setting.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { randn } from '../../src/engine/creation';
import { tidy } from '../../src/engine/memory';
import { profile, startProfiler, stopProfiler, summarizeTrace } from '../../src/engine/profiler';
import { noLeaks } from '../helpers/leakCheck';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-profile-'));

test(
  'the profiler records every op, forward and backward, and summarizeTrace totals them',
  noLeaks(() => {
    const file = path.join(tmp(), 'trace.json');
    const result = profile(file, () =>
      tidy(() => {
        const w = randn([16, 8]).requiresGrad_();
        const x = randn([4, 16]);
        for (let i = 0; i < 3; i++) x.matmul(w).relu().sum().backward();
        return w.grad!.shape;
      }),
    );
    assert.deepEqual(result, [16, 8]);
    const ops = summarizeTrace(file);
    const byName = new Map(ops.map((o) => [o.name, o]));
    assert.equal(byName.get('aten::matmul')?.calls, 3, `matmul calls: ${JSON.stringify(byName.get('aten::matmul'))}`);
    assert.equal(byName.get('aten::relu')?.calls, 3);
    assert.ok(
      [...byName.keys()].some((n) => /threshold_backward/.test(n)),
      'the backward pass is recorded',
    );
    for (const o of ops) {
      assert.ok(o.selfUs >= 0 && o.selfUs <= o.totalUs + 1e-6, `${o.name}: self ${o.selfUs} within total ${o.totalUs}`);
    }
    // Sorted by self time. Which ops a parent calls (matmul -> mm, or not) is libtorch's choice and
    // changes between versions: the nesting arithmetic is checked on a trace written by hand below.
    assert.ok(ops.every((o, i) => i === 0 || ops[i - 1]!.selfUs >= o.selfUs));
  }),
);

test("summarizeTrace recovers nesting per thread: a parent's self time excludes its children", () => {
  const file = path.join(tmp(), 'hand.json');
  const X = (name: string, ts: number, dur: number, tid = 1) => ({ name, ph: 'X', ts, dur, tid });
  fs.writeFileSync(
    file,
    JSON.stringify({
      traceEvents: [
        // Thread 1: matmul [0, 10] calls mm [2, 5] and mm [6, 8]; then relu [12, 13].
        X('aten::matmul', 0, 10),
        X('aten::mm', 2, 3),
        X('aten::mm', 6, 2),
        X('aten::relu', 12, 1),
        // Thread 2 overlaps thread 1 in time but nests only within itself: mm [1, 9] with no children.
        X('aten::mm', 1, 8, 2),
        // Not complete events: ignored.
        { name: 'aten::mm', ph: 'B', ts: 0, tid: 1 },
        { ph: 'X', ts: 0, dur: 1 },
      ],
    }),
  );
  const byName = new Map(summarizeTrace(file).map((o) => [o.name, o]));
  assert.deepEqual(byName.get('aten::matmul'), { name: 'aten::matmul', calls: 1, totalUs: 10, selfUs: 5 });
  assert.deepEqual(byName.get('aten::mm'), { name: 'aten::mm', calls: 3, totalUs: 13, selfUs: 13 });
  assert.deepEqual(byName.get('aten::relu'), { name: 'aten::relu', calls: 1, totalUs: 1, selfUs: 1 });
  assert.deepEqual(
    summarizeTrace(file).map((o) => o.name),
    ['aten::mm', 'aten::matmul', 'aten::relu'],
    'by self time',
  );
});

test('one recording at a time; stopping without one, or a broken trace, is a clear error', () => {
  const dir = tmp();
  startProfiler(path.join(dir, 'a.json'));
  try {
    assert.throws(() => startProfiler(path.join(dir, 'b.json')), /already being recorded/);
  } finally {
    stopProfiler();
  }
  assert.throws(() => stopProfiler(), /no profile is being recorded/);
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"traceEvents": [');
  assert.throws(() => summarizeTrace(path.join(dir, 'bad.json')), /bad\.json: not a readable Chrome trace/);
});

test('malloc keeps freed memory for reuse unless the user chose otherwise', () => {
  const engine = path.resolve(__dirname, '../../src/engine/runtime.js');
  const allocatorWith = (env: Record<string, string>) =>
    execFileSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(engine)}).runtimeInfo().allocator)`], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    }).trim();
  assert.equal(allocatorWith({}), 'retain');
  assert.equal(allocatorWith({ TSNAS_MALLOC: 'default' }), 'default');
  assert.equal(allocatorWith({ MALLOC_TOP_PAD_: '1048576' }), 'user');
  assert.equal(allocatorWith({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1000000' }), 'user');
});
