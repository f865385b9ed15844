// How the ONNX targets time an op (opTiming.ts): the K-copies model and the call baseline are
// valid ONNX that onnxruntime-node runs, with the outputs intended; the subtraction arithmetic; the
// protocol recorded in the target and read back from tables, old ones included. No wall times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Ort from 'onnxruntime-node';
import {
  DEFAULT_OP_TIMING,
  makeLatencyTarget,
  makeTargetOfTable,
  ONE_CALL_PER_OP,
  opTimingOf,
  opTimingSettings,
  perCopySamples,
  perCopyUs,
  timePerCopyAsync,
  type OpSpec,
  type TargetInfo,
} from '../../src/latency';
import { exportSubject, randomInput } from '../../src/latency/onnxSubject';
import { exportCallBaseline } from '../../src/latency/callBaseline';
import { buildOpModule } from '../../src/latency/engineTarget';
import { decodeModel, exportModules, loadOrtNode, ortSession } from '../../src/export';
import { noLeaks } from '../helpers/leakCheck';

const KEEPS: OpSpec = { op: 'ir_k3_e6', input: [8, 6, 6], cin: 8, cout: 8, stride: 1 };
const CHANGES: OpSpec = { op: 'ir_k3_e3', input: [8, 6, 6], cin: 8, cout: 16, stride: 2 };
const LINEAR: OpSpec = { op: 'linear', input: [16, 1, 1], cin: 16, cout: 4, stride: 1, bias: true };

/** Runs ONNX bytes on the subject's input; returns each output's shape, in graph order. */
async function outputShapes(bytes: Uint8Array, inputShape: number[]): Promise<number[][]> {
  const ort = await loadOrtNode();
  const session = await ortSession(bytes);
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', randomInput(inputShape), inputShape) };
    const out: Record<string, Ort.Tensor> = await session.run(feeds);
    return session.outputNames.map((n) => [...out[n]!.dims]);
  } finally {
    await session.release();
  }
}

test(
  'an op that keeps its shape: K copies chained, one output; its baseline has the same input and output',
  noLeaks(async () => {
    const one = exportSubject({ kind: 'op', spec: KEEPS }, { opset: 13 });
    const m = exportSubject({ kind: 'op', spec: KEEPS }, { opset: 13, timing: { copies: 4, subtractCall: true } });
    assert.equal(m.arrangement, 'chain');
    assert.equal(m.copies, 4);
    assert.deepEqual(m.inputShape, [1, 8, 6, 6]);
    assert.deepEqual(m.outputShapes, [[1, 8, 6, 6]]);
    assert.deepEqual(await outputShapes(m.bytes, m.inputShape), [[1, 8, 6, 6]]);
    // Four times the op's nodes (each copy with weights of its own), plus the output's Identity.
    const nodes = (b: Uint8Array) => ((decodeModel(b).graph as { node: unknown[] }).node ?? []).length;
    assert.equal(nodes(m.bytes) - 1, 4 * (nodes(one.bytes) - 1));
    const inits = (b: Uint8Array) => ((decodeModel(b).graph as { initializer: unknown[] }).initializer ?? []).length;
    assert.ok(inits(m.bytes) >= 4 * inits(one.bytes) - 4, 'each copy has weights of its own');
    assert.ok(m.baseline);
    assert.deepEqual(await outputShapes(m.baseline, m.inputShape), [[1, 8, 6, 6]]);
    assert.equal(one.baseline, undefined, 'no baseline unless the timing subtracts it');
  }),
);

test(
  'an op that changes the shape (and a linear layer): K copies side by side, K outputs; the baseline has the same K',
  noLeaks(async () => {
    for (const [spec, input, out] of [
      [CHANGES, [1, 8, 6, 6], [1, 16, 3, 3]],
      [LINEAR, [1, 16], [1, 4]],
    ] as const) {
      const m = exportSubject({ kind: 'op', spec }, { opset: 13, timing: { copies: 3, subtractCall: true } });
      assert.equal(m.arrangement, 'parallel');
      assert.deepEqual(m.inputShape, input);
      assert.deepEqual(m.outputShapes, [out, out, out]);
      assert.deepEqual(await outputShapes(m.bytes, m.inputShape), [out, out, out]);
      assert.deepEqual(await outputShapes(m.baseline!, m.inputShape), [out, out, out]);
    }
  }),
);

test('the call baseline computes nothing: constants of the output shapes, or the input itself', async () => {
  const b = exportCallBaseline(
    [2, 3, 3],
    [
      [2, 3, 3],
      [4, 1, 1],
      [4, 1, 1],
    ],
    { opset: 13 },
  );
  const g = decodeModel(b.bytes).graph as { node: { opType: string }[] };
  assert.deepEqual(
    g.node.map((n) => n.opType),
    ['Expand', 'Expand', 'Identity', 'Identity', 'Identity'],
  );
  assert.deepEqual(await outputShapes(b.bytes, [1, 2, 3, 3]), [
    [1, 2, 3, 3],
    [1, 4, 1, 1],
    [1, 4, 1, 1],
  ]);
  assert.throws(() => exportCallBaseline([2], [], { opset: 13 }), /at least one output/);
});

test(
  'modules that change the shape cannot be chained: the error says to arrange them in parallel',
  noLeaks(() => {
    const ms = [buildOpModule(CHANGES), buildOpModule(CHANGES)];
    try {
      assert.throws(
        () => exportModules(ms, CHANGES.input, { arrangement: 'chain' }),
        /module 0 turns 8x6x6 into 16x3x3, so it cannot be chained; arrange them in parallel/,
      );
    } finally {
      for (const m of ms) m.dispose();
    }
  }),
);

test('the subtraction: (run - baseline) / copies, sample by sample', () => {
  assert.equal(perCopyUs(100, 40, 4), 15);
  assert.equal(perCopyUs(50, 0, 1), 50);
  assert.equal(perCopyUs(38, 40, 1), -2, 'a hair below the baseline stays negative here (the table clamps at 0)');
  assert.deepEqual(perCopySamples([100, 90], [40, 42], 2), [30, 24]);
  assert.deepEqual(perCopySamples([100, 90], null, 2), [50, 45]);
  assert.throws(() => perCopySamples([1, 2], [1], 1), /2 runs but 1 baseline runs/);
  assert.throws(() => perCopyUs(1, 0, 0), /copies must be a positive integer/);
});

test('timePerCopyAsync: warm-up then paired runs in alternating order, one sample per pair', async () => {
  const order: string[] = [];
  const run = async () => void order.push('r');
  const base = async () => void order.push('b');
  const t = await timePerCopyAsync(run, base, 4, { warmup: 1, warmupMs: 0, repeats: 4 });
  assert.equal(t.runs + (t.discarded ?? 0) >= 4, true);
  assert.equal(t.samplesUs!.length, t.runs);
  // Warm-up (r, b), then pairs: r b, b r, r b, b r, ... (preempted pairs are re-run, in the same pattern).
  assert.deepEqual(order.slice(0, 10), ['r', 'b', 'r', 'b', 'b', 'r', 'r', 'b', 'b', 'r']);
  const plain: string[] = [];
  const t1 = await timePerCopyAsync(async () => void plain.push('r'), null, 1, { warmup: 2, warmupMs: 0, repeats: 3 });
  assert.equal(t1.runs, 3);
  assert.equal(plain.length, 5 + (t1.discarded ?? 0));
});

test('the protocol is recorded in the target, and read back from tables; a table without it was one call per op', async () => {
  assert.deepEqual(opTimingSettings(DEFAULT_OP_TIMING), { opTiming: 'minus-call', opCopies: 1 });
  assert.deepEqual(opTimingSettings({ copies: 8, subtractCall: true }), { opTiming: 'minus-call', opCopies: 8 });
  assert.deepEqual(opTimingSettings(ONE_CALL_PER_OP), { opTiming: 'one-call', opCopies: 1 });
  assert.deepEqual(opTimingOf({ opset: 13, executionProvider: 'cpu' }), ONE_CALL_PER_OP);
  assert.deepEqual(opTimingOf({ opTiming: 'minus-call', opCopies: 8 }), { copies: 8, subtractCall: true });
  assert.throws(
    () => opTimingOf({ opTiming: 'minus-call', opCopies: 0 }),
    /op copies must be an integer from 1 to 256/,
  );

  const now = await makeLatencyTarget('ort-cpu', { hostname: false });
  const old = await makeLatencyTarget('ort-cpu', { hostname: false, opTiming: ONE_CALL_PER_OP });
  try {
    assert.equal(now.info.settings.opTiming, 'minus-call');
    assert.equal(now.info.settings.opCopies, 1);
    assert.equal(old.info.settings.opTiming, 'one-call');
    // A table from before the protocol was recorded re-makes a target that times ops as it did.
    const { opTiming: _t, opCopies: _c, ...before } = now.info.settings;
    const info: TargetInfo = { ...now.info, settings: before };
    const again = await makeTargetOfTable(info);
    try {
      assert.equal(again.info.settings.opTiming, 'one-call');
    } finally {
      await again.close?.();
    }
    const k4 = await makeTargetOfTable({ ...now.info, settings: { ...before, opTiming: 'minus-call', opCopies: 4 } });
    try {
      assert.equal(k4.info.settings.opCopies, 4);
    } finally {
      await k4.close?.();
    }
  } finally {
    await now.close?.();
    await old.close?.();
  }
});
