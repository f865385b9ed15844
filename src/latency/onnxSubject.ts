// What the ONNX runtimes time: a subject (one op, or a whole decoded network) built by the op
// registry or the builder exactly as the engine target builds it, exported to ONNX (BatchNorm
// folded, as a deployed model is), and a key that names it for the runtimes' session caches. An op
// is exported as K copies with its call baseline when the op timing says so (opTiming.ts).
import { createHash } from 'node:crypto';
import { parseOp } from '../blocks/opName';
import { Network } from '../builder/buildNetwork';
import { exportModule, exportModules, exportNetwork, type Arrangement } from '../export/exportOnnx';
import type { Module } from '../nn/module';
import { exportCallBaseline } from './callBaseline';
import { buildOpModule } from './engineTarget';
import { ADD_OP, latencyKey } from './latencyKey';
import type { OpTiming } from './opTiming';
import type { Measurable, OpSpec } from './target';

export interface OnnxSubject {
  /** A stable name of the subject (the latency key of an op; a hash of a network's description). */
  key: string;
  /** What it is, for error messages. */
  what: string;
  bytes: Uint8Array;
  /** The model's input shape at batch 1. */
  inputShape: number[];
  /** ONNX operators the model uses. */
  onnxOps: string[];
  /** Copies of the op in the model (1 for a network), and how they are arranged. */
  copies: number;
  arrangement: Arrangement;
  /** Output shapes at batch 1, one per output. */
  outputShapes: number[][];
  /** The model of the same call that computes nothing, when the op timing subtracts it. */
  baseline?: Uint8Array;
}

export function subjectKey(subject: Measurable): string {
  return subject.kind === 'op'
    ? latencyKey(subject.spec)
    : `network:${createHash('sha1').update(JSON.stringify(subject.desc)).digest('hex').slice(0, 16)}`;
}

/**
 * Builds the subject's module with fresh weights, exports it and frees the module. An op is
 * exported as `timing.copies` copies (each built anew, so with weights of its own, as the layers
 * of a network have), chained when the op keeps its input's shape and side by side otherwise,
 * with its call baseline when `timing.subtractCall`; a network is exported as it is.
 */
export function exportSubject(subject: Measurable, o: { opset: number; timing?: OpTiming }): OnnxSubject {
  const key = subjectKey(subject);
  if (subject.kind === 'op')
    return exportOp(subject.spec, key, o.opset, o.timing ?? { copies: 1, subtractCall: false });
  const net = new Network(subject.desc);
  try {
    const { bytes, summary } = exportNetwork(net, { opset: o.opset });
    return {
      key,
      what: `a whole network (${subject.desc.input.join('x')} input)`,
      bytes,
      inputShape: [1, ...subject.desc.input],
      onnxOps: Object.keys(summary.opTypes),
      copies: 1,
      arrangement: 'chain',
      outputShapes: [[1, subject.desc.classes]],
    };
  } finally {
    net.dispose();
  }
}

function exportOp(spec: OpSpec, key: string, opset: number, timing: OpTiming): OnnxSubject {
  const linear = spec.op !== ADD_OP && parseOp(spec.op).type === 'linear';
  const input = linear ? [spec.input[0]] : [...spec.input];
  const modules: Module[] = [];
  try {
    for (let i = 0; i < timing.copies; i++) modules.push(buildOpModule(spec));
    // One copy's output shape decides the arrangement: only an op that keeps its input's shape chains.
    const out = exportModule(modules[0]!, input, { opset }).summary.output.shape.slice(1) as number[];
    const arrangement: Arrangement = out.join('x') === input.join('x') ? 'chain' : 'parallel';
    const { bytes, summary } =
      timing.copies === 1
        ? exportModule(modules[0]!, input, { opset })
        : exportModules(modules, input, { opset, arrangement });
    const outputs = arrangement === 'chain' ? [out] : modules.map(() => out);
    return {
      key,
      what: `op ${key}`,
      bytes,
      inputShape: [1, ...input],
      onnxOps: Object.keys(summary.opTypes),
      copies: timing.copies,
      arrangement,
      outputShapes: outputs.map((s) => [1, ...s]),
      ...(timing.subtractCall ? { baseline: exportCallBaseline(input, outputs, { opset }).bytes } : {}),
    };
  } finally {
    for (const m of modules) m.dispose();
  }
}

/** Random float32 input data of a shape (a latency does not depend on the values). */
export function randomInput(shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5; // deterministic, not all equal
  return data;
}
