// Python's ONNX checker on tsnas's exports, through a committed fixture: `npm run fixtures` wrote
// these models and ran onnx.checker (full check, strict shape inference) over them, recording
// each file's sha256 (test/fixtures/onnx_checked.json). Here the same models are exported again:
// the bytes must hash the same (so the checker's verdict is about exactly what tsnas writes now),
// and the verdict, opset, names and shapes the checker read must be what the exporter meant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../src/packageRoot';
import { onnxFixtureModels } from '../fixtures/onnxFixtureModels';
import { noLeaks } from '../helpers/leakCheck';

interface CheckedModel {
  sha256: string;
  checker: string;
  opset: number;
  irVersion: number;
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[] };
  inferredOutput: (number | string)[] | null;
}
const fixture = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'onnx_checked.json'), 'utf8'),
) as {
  onnx: string;
  models: Record<string, CheckedModel>;
};
const REGENERATE =
  'the exporter changed: regenerate the fixture with npm run fixtures (needs python3-onnx: npm run setup -- --reference)';

test('the fixture holds exactly the models of the list', () => {
  assert.deepEqual(
    Object.keys(fixture.models).sort(),
    onnxFixtureModels()
      .map((m) => m.name)
      .sort(),
  );
});

for (const m of onnxFixtureModels()) {
  test(
    `${m.name}: accepted by onnx ${fixture.onnx}'s checker, as exported now`,
    noLeaks(() => {
      const checked = fixture.models[m.name]!;
      const { bytes, summary } = m.make();
      assert.equal(createHash('sha256').update(bytes).digest('hex'), checked.sha256, REGENERATE);
      assert.equal(checked.checker, 'ok');
      assert.equal(checked.opset, summary.opset);
      assert.equal(checked.irVersion, summary.irVersion);
      assert.deepEqual(checked.input, summary.input);
      assert.deepEqual(checked.output, summary.output);
      assert.deepEqual(checked.inferredOutput, summary.output.shape, 'shape inference derives the declared output');
    }),
  );
}
