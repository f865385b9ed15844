// Every op of the registry and every named architecture of every built-in space, exported to
// ONNX and run in onnxruntime-node: the outputs must equal the engine's within EXPORT_TOLERANCE,
// with BatchNorm folded (the default) and unfolded, at a batch other than 1 (the batch is symbolic).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetwork } from '../../src/builder/buildNetwork';
import { registeredOpTypes } from '../../src/blocks/registry';
import { parseOp } from '../../src/blocks/opName';
import { buildOpModule } from '../../src/latency/engineTarget';
import { OP_CASES } from './opCases';
import type { OpSpec } from '../../src/latency/target';
import { decodeModel, exportModule, exportNetwork, EXPORT_TOLERANCE, verifyExport } from '../../src/export';
import { loadSpace, namedArchitectures } from '../../src/space/registry';
import { parseArch } from '../../src/space/archFormat';
import { manualSeed } from '../../src/engine';
import { BatchNorm2d } from '../../src/nn/batchNorm2d';
import { noLeaks } from '../helpers/leakCheck';
import { calibrateBatchNorm, seedWeights } from '../helpers/seededWeights';

const inputOf = (s: OpSpec) => (s.op === 'linear' ? [s.input[0]] : s.input);

test('the op cases cover every op type of the registry', () => {
  const covered = new Set(OP_CASES.map((s) => parseOp(s.op).type));
  assert.deepEqual([...covered].sort(), [...registeredOpTypes()].sort());
});

for (const spec of OP_CASES) {
  const label = `${spec.op}${spec.e1FirstConv ? ` e1=${spec.e1FirstConv}` : ''}${spec.bias === false ? ' no bias' : ''} ${spec.cin}->${spec.cout} s${spec.stride}`;
  test(
    `op ${label}: onnxruntime equals the engine, BatchNorm folded and not, opsets 13 and 17`,
    noLeaks(async () => {
      manualSeed(1);
      const m = buildOpModule(spec);
      try {
        seedWeights(m, 3);
        calibrateBatchNorm(m, inputOf(spec));
        for (const [opset, foldBatchNorm] of [
          [13, true],
          [13, false],
          [17, true],
        ] as const) {
          const { bytes, summary } = exportModule(m, inputOf(spec), { opset, foldBatchNorm });
          const bns = m.namedModules().filter(([, c]) => c instanceof BatchNorm2d).length;
          assert.equal(summary.opTypes.BatchNormalization ?? 0, foldBatchNorm ? 0 : bns);
          const r = await verifyExport(m, bytes, inputOf(spec), { batch: 3 });
          assert.equal(r.outputShape[0], 3);
          assert.ok(r.maxAbsOutput > 0.01, `the outputs are not trivially small (${r.maxAbsOutput})`);
          assert.ok(
            r.maxAbsDiff <= EXPORT_TOLERANCE,
            `opset ${opset}, fold ${foldBatchNorm}: max abs difference ${r.maxAbsDiff} (outputs up to ${r.maxAbsOutput})`,
          );
        }
      } finally {
        m.dispose();
      }
    }),
  );
}

for (const named of namedArchitectures()) {
  test(
    `named architecture ${named.name} (${named.space}): onnxruntime equals the engine`,
    noLeaks(async () => {
      const space = loadSpace(named.space);
      manualSeed(2);
      const net = buildNetwork(space, parseArch(space, named.arch));
      try {
        seedWeights(net, 5);
        calibrateBatchNorm(net, net.desc.input, 4);
        const { bytes, summary } = exportNetwork(net);
        assert.deepEqual(summary.input, { name: 'images', shape: ['batch', ...net.desc.input] });
        assert.deepEqual(summary.output, { name: 'logits', shape: ['batch', net.desc.classifier.cout] });
        assert.equal(summary.opTypes.BatchNormalization, undefined, 'BatchNorm is folded by default');
        const model = decodeModel(bytes) as { opsetImport: { version: number }[]; graph: { input: unknown[] } };
        assert.equal(model.opsetImport[0]!.version, 13);
        const r = await verifyExport(net, bytes, net.desc.input, { batch: 2 });
        assert.ok(r.maxAbsOutput > 0.01, `the logits are not trivially small (${r.maxAbsOutput})`);
        assert.ok(
          r.maxAbsDiff <= EXPORT_TOLERANCE,
          `max abs difference ${r.maxAbsDiff} (logits up to ${r.maxAbsOutput})`,
        );
      } finally {
        net.dispose();
      }
    }),
  );
}
