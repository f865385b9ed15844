// A built module or network -> ONNX bytes: walk the module tree with the registered exporters
// (moduleExporters.ts) into an OnnxGraph, then encode it with protobufjs. The module is read,
// never run or changed: export the weights as they are (a trained network's, or a fresh one's).
import { Network } from '../builder/buildNetwork';
import type { Module } from '../nn/module';
import { encodeModel } from './onnxProto';
import { DEFAULT_OPSET, irVersionOf, OnnxGraph } from './onnxGraph';
import { exporterOf, type ExportContext, type Value } from './moduleExporters';

export interface ExportOptions {
  /** ONNX opset (default 13; see SUPPORTED_OPSETS). */
  opset?: number;
  /** Fold BatchNorm into the preceding convolution (default true). */
  foldBatchNorm?: boolean;
  /** Graph input and output names (networks: 'images' and 'logits'; single modules: 'x' and 'y'). */
  inputName?: string;
  outputName?: string;
  /** Graph name and a line for the model's doc string. */
  name?: string;
  docString?: string;
  /** Key/value pairs stored in the model (space, architecture, checkpoint, ...). */
  metadata?: Record<string, string>;
}

/** What an export wrote, for messages and tests. */
export interface ExportSummary {
  opset: number;
  irVersion: number;
  foldBatchNorm: boolean;
  input: { name: string; shape: (number | 'batch')[] };
  /** The (first) output. */
  output: { name: string; shape: (number | 'batch')[] };
  /** How many outputs there are, when more than one (exportModules in parallel). */
  outputs?: number;
  nodes: number;
  /** Node count per ONNX operator. */
  opTypes: Record<string, number>;
  /** Weights stored (floats). */
  weights: number;
  bytes: number;
}

export interface ExportedModel {
  bytes: Uint8Array;
  summary: ExportSummary;
}

const PRODUCER_VERSION = '0.1.0';

/**
 * Exports a module on inputs of `inputShape` (without the batch dimension, which is symbolic:
 * 'batch'). The module's own forward() semantics in eval mode are what the graph computes.
 */
export function exportModule(module: Module, inputShape: readonly number[], o: ExportOptions = {}): ExportedModel {
  return exportGraph(inputShape, o, module.constructor.name, 1, (ctx, x) => [ctx.exportChild(module, x, '')]);
}

/**
 * How several modules share one graph (exportModules): `chain`, each module's output feeds the
 * next and the last is the one output (every module must keep its input's shape); `parallel`,
 * every module reads the graph input and each output is a graph output (`y0`, `y1`, ...).
 */
export type Arrangement = 'chain' | 'parallel';

/** Exports several modules as one graph, arranged as a chain or side by side (Arrangement). */
export function exportModules(
  modules: readonly Module[],
  inputShape: readonly number[],
  o: ExportOptions & { arrangement: Arrangement },
): ExportedModel {
  if (modules.length === 0) throw new Error('exportModules: no modules given');
  const outputs = o.arrangement === 'parallel' ? modules.length : 1;
  return exportGraph(inputShape, o, `${modules.length}x ${modules[0]!.constructor.name}`, outputs, (ctx, x) => {
    if (o.arrangement === 'parallel') return modules.map((m, i) => ctx.exportChild(m, x, `m${i}`));
    let h = x;
    modules.forEach((m, i) => {
      const y = ctx.exportChild(m, h, `m${i}`);
      if (y.shape.join('x') !== h.shape.join('x'))
        throw new Error(
          `exportModules: module ${i} turns ${h.shape.join('x')} into ${y.shape.join('x')}, so it cannot be chained; arrange them in parallel`,
        );
      h = y;
    });
    return [h];
  });
}

/** The shared part: a graph from the input through `body` to its outputs, encoded. */
function exportGraph(
  inputShape: readonly number[],
  o: ExportOptions,
  defaultName: string,
  outputs: number,
  body: (ctx: ExportContext, x: Value) => Value[],
): ExportedModel {
  const graph = new OnnxGraph({ opset: o.opset ?? DEFAULT_OPSET, foldBatchNorm: o.foldBatchNorm ?? true });
  const inputName = o.inputName ?? 'x';
  const outputName = o.outputName ?? 'y';
  if (inputName === outputName) throw new Error(`the input and output names are both '${inputName}': give two names`);
  graph.name(inputName);
  const outNames = outputs === 1 ? [outputName] : Array.from({ length: outputs }, (_, i) => `${outputName}${i}`);
  for (const n of outNames) graph.name(n); // reserved: no value inside takes an output's name
  const ctx: ExportContext = {
    graph,
    exportChild: (m, x, path) => exporterOf(m, path)(m, x, path, ctx),
  };
  const x: Value = { name: inputName, shape: [...inputShape] };
  const ys = body(ctx, x);
  if (ys.length !== outputs) throw new Error(`internal error: ${ys.length} outputs, ${outputs} expected`);
  const model = graph.toModel({
    graphName: o.name ?? defaultName,
    input: { name: inputName, value: inputName, shape: x.shape },
    outputs: ys.map((y, i) => ({ name: outNames[i]!, value: y.name, shape: y.shape })),
    docString: o.docString ?? `exported by tsnas ${PRODUCER_VERSION}`,
    producerVersion: PRODUCER_VERSION,
    metadata: o.metadata,
  });
  const bytes = encodeModel(model);
  const opTypes: Record<string, number> = {};
  for (const n of graph.nodes) opTypes[n.opType as string] = (opTypes[n.opType as string] ?? 0) + 1;
  return {
    bytes,
    summary: {
      opset: graph.options.opset,
      irVersion: irVersionOf(graph.options.opset),
      foldBatchNorm: graph.options.foldBatchNorm,
      input: { name: inputName, shape: ['batch', ...x.shape] },
      output: { name: outNames[0]!, shape: ['batch', ...ys[0]!.shape] },
      ...(ys.length > 1 ? { outputs: ys.length } : {}),
      nodes: graph.nodes.length,
      opTypes,
      weights: graph.initializers.reduce((n, t) => n + (t.type === 1 ? t.data.length : 0), 0),
      bytes: bytes.length,
    },
  };
}

/** Exports a network: input 'images' [batch, C, H, W], output 'logits' [batch, classes]. */
export function exportNetwork(network: Network, o: ExportOptions = {}): ExportedModel {
  if (!(network instanceof Network))
    throw new Error('exportNetwork: not a Network (use exportModule for other modules)');
  return exportModule(network, network.desc.input, {
    inputName: 'images',
    outputName: 'logits',
    name: 'network',
    ...o,
  });
}
