// The model a call's own cost is measured with (opTiming.ts): the same input and the same
// outputs (count and shapes) as an op's model, and no compute. An output of the input's shape is
// the input (one Identity, a copy, which onnxruntime needs anyway to hand out a tensor it does not
// own); any other is a constant of that shape (a distinct value per output, so that no
// optimizer merges them), which onnxruntime folds at load and copies out per run. What is left in
// a run is what every run of that signature pays: the call, feeding the input, allocating and
// returning the outputs.
import { encodeModel } from '../export/onnxProto';
import { OnnxGraph } from '../export/onnxGraph';

export interface CallBaseline {
  bytes: Uint8Array;
  /** Output shapes without the batch dimension. */
  outputs: number[][];
}

export function exportCallBaseline(
  inputShape: readonly number[],
  outputShapes: readonly (readonly number[])[],
  o: { opset: number },
): CallBaseline {
  if (outputShapes.length === 0) throw new Error('a call baseline needs at least one output');
  const graph = new OnnxGraph({ opset: o.opset, foldBatchNorm: true });
  graph.name('x');
  const names = outputShapes.length === 1 ? ['y'] : outputShapes.map((_, i) => `y${i}`);
  for (const n of names) graph.name(n);
  const same = (s: readonly number[]) => s.join('x') === inputShape.join('x');
  const outputs = outputShapes.map((shape, i) => {
    const value = same(shape)
      ? 'x'
      : graph.node('Expand', [graph.scalar(`c${i}`, i + 1), graph.int64s(`shape${i}`, [1, ...shape])], `out${i}`);
    return { name: names[i]!, value, shape: [...shape] };
  });
  const model = graph.toModel({
    graphName: 'call baseline',
    input: { name: 'x', value: 'x', shape: [...inputShape] },
    outputs,
    docString: 'the cost of a call with this signature, no compute (tsnas latency)',
    producerVersion: '0.1.0',
  });
  return { bytes: encodeModel(model), outputs: outputShapes.map((s) => [...s]) };
}
