// What the ONNX runtimes time: a subject (one op, or a whole decoded network) built by the op
// registry or the builder exactly as the engine target builds it, exported to ONNX (BatchNorm
// folded, as a deployed model is), and a key that names it for the runtimes' session caches.
import { createHash } from 'node:crypto';
import { parseOp } from '../blocks/opName';
import { Network } from '../builder/buildNetwork';
import { exportModule, exportNetwork } from '../export/exportOnnx';
import { buildOpModule } from './engineTarget';
import { ADD_OP, latencyKey } from './latencyKey';
import type { Measurable } from './target';

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
}

export function subjectKey(subject: Measurable): string {
  return subject.kind === 'op'
    ? latencyKey(subject.spec)
    : `network:${createHash('sha1').update(JSON.stringify(subject.desc)).digest('hex').slice(0, 16)}`;
}

/** Builds the subject's module with fresh weights, exports it and frees the module. */
export function exportSubject(subject: Measurable, o: { opset: number }): OnnxSubject {
  const key = subjectKey(subject);
  if (subject.kind === 'op') {
    const linear = subject.spec.op !== ADD_OP && parseOp(subject.spec.op).type === 'linear';
    const input = linear ? [subject.spec.input[0]] : [...subject.spec.input];
    const m = buildOpModule(subject.spec);
    try {
      const { bytes, summary } = exportModule(m, input, { opset: o.opset });
      return { key, what: `op ${key}`, bytes, inputShape: [1, ...input], onnxOps: Object.keys(summary.opTypes) };
    } finally {
      m.dispose();
    }
  }
  const net = new Network(subject.desc);
  try {
    const { bytes, summary } = exportNetwork(net, { opset: o.opset });
    return {
      key,
      what: `a whole network (${subject.desc.input.join('x')} input)`,
      bytes,
      inputShape: [1, ...subject.desc.input],
      onnxOps: Object.keys(summary.opTypes),
    };
  } finally {
    net.dispose();
  }
}

/** Random float32 input data of a shape (a latency does not depend on the values). */
export function randomInput(shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898) * 0.5; // deterministic, not all equal
  return data;
}
