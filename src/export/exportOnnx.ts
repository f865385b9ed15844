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
  output: { name: string; shape: (number | 'batch')[] };
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
  const graph = new OnnxGraph({ opset: o.opset ?? DEFAULT_OPSET, foldBatchNorm: o.foldBatchNorm ?? true });
  const inputName = o.inputName ?? 'x';
  const outputName = o.outputName ?? 'y';
  if (inputName === outputName) throw new Error(`the input and output names are both '${inputName}': give two names`);
  graph.name(inputName);
  graph.name(outputName);
  const ctx: ExportContext = {
    graph,
    exportChild: (m, x, path) => exporterOf(m, path)(m, x, path, ctx),
  };
  const x: Value = { name: inputName, shape: [...inputShape] };
  const y = ctx.exportChild(module, x, '');
  const model = graph.toModel({
    graphName: o.name ?? module.constructor.name,
    input: { name: inputName, value: inputName, shape: x.shape },
    output: { name: outputName, value: y.name, shape: y.shape },
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
      output: { name: outputName, shape: ['batch', ...y.shape] },
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
