// An ONNX graph under construction: nodes in topological order, initializers (weights held as
// host Float32Arrays), and names made unique. The module exporters add to it; toModel() wraps it
// in a ModelProto object with the opset, named inputs/outputs and a symbolic batch dimension.
import { ATTR, ONNX_FLOAT, ONNX_INT64, type ModelObject } from './onnxProto';
import { FieldError } from '../io/fieldError';

export type AttrValue = number | string | number[] | { float: number } | { floats: number[] };

/** The opsets tsnas writes: ONNX 1.12's checker (Debian's python3-onnx) knows them, and onnxruntime runs them. */
export const SUPPORTED_OPSETS = [13, 14, 15, 16, 17] as const;
export const DEFAULT_OPSET = 13;

/** The IR version that goes with an opset (ONNX's versioning table). */
export function irVersionOf(opset: number): number {
  return opset <= 13 ? 7 : 8;
}

export function checkOpset(opset: number): void {
  if (!(SUPPORTED_OPSETS as readonly number[]).includes(opset))
    throw new FieldError(
      'opset',
      opset,
      `\`opset\` ${opset} is not supported: choose one of ${SUPPORTED_OPSETS.join(', ')}`,
    );
}

export interface GraphOptions {
  opset: number;
  /** Fold each BatchNorm into the convolution before it (the default), or keep BatchNormalization nodes. */
  foldBatchNorm: boolean;
}

export interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array | number[];
  type: typeof ONNX_FLOAT | typeof ONNX_INT64;
}

export class OnnxGraph {
  readonly nodes: ModelObject[] = [];
  readonly initializers: Initializer[] = [];
  readonly #used = new Set<string>();

  constructor(readonly options: GraphOptions) {
    checkOpset(options.opset);
  }

  /** A fresh value name built from a hint (module path and role). */
  name(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let n = base;
    for (let i = 1; this.#used.has(n); i++) n = `${base}_${i}`;
    this.#used.add(n);
    return n;
  }

  /** A float initializer (a weight); returns its name. */
  weight(hint: string, data: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`internal error: ${hint} has ${data.length} values for shape [${dims}]`);
    const name = this.name(hint);
    this.initializers.push({ name, dims, data, type: ONNX_FLOAT });
    return name;
  }

  /** An int64 initializer (shapes, axes); returns its name. */
  int64s(hint: string, values: number[]): string {
    const name = this.name(hint);
    this.initializers.push({ name, dims: [values.length], data: values, type: ONNX_INT64 });
    return name;
  }

  /** A scalar float initializer (Clip bounds and the like). */
  scalar(hint: string, value: number): string {
    const name = this.name(hint);
    this.initializers.push({ name, dims: [], data: new Float32Array([value]), type: ONNX_FLOAT });
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  node(opType: string, inputs: string[], hint: string, attrs: Record<string, AttrValue> = {}): string {
    const out = this.name(hint);
    this.nodes.push({
      opType,
      name: this.name(`${hint}/${opType}`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /**
   * The ModelProto object: `input` -> graph -> `outputs` (one or more), each [batch, ...] with a
   * symbolic batch.
   */
  toModel(o: {
    graphName: string;
    input: { name: string; value: string; shape: number[] };
    outputs: { name: string; value: string; shape: number[] }[];
    docString: string;
    producerVersion: string;
    metadata?: Record<string, string>;
  }): ModelObject {
    // The graph's outputs are named by the caller: an Identity node gives each last value that name
    // (and keeps input and output distinct when a module is the identity).
    if (o.input.value !== o.input.name) throw new Error('internal error: the graph input must be the value fed to it');
    if (o.outputs.length === 0) throw new Error('internal error: a graph needs at least one output');
    for (const out of o.outputs)
      this.nodes.push({
        opType: 'Identity',
        name: this.name(`${out.name}/Identity`),
        input: [out.value],
        output: [out.name],
      });
    return {
      irVersion: irVersionOf(this.options.opset),
      opsetImport: [{ domain: '', version: this.options.opset }],
      producerName: 'tsnas',
      producerVersion: o.producerVersion,
      docString: o.docString,
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: o.graphName,
        node: this.nodes,
        initializer: this.initializers.map(tensorProto),
        input: [valueInfo(o.input.name, o.input.shape)],
        output: o.outputs.map((out) => valueInfo(out.name, out.shape)),
      },
    };
  }
}

function valueInfo(name: string, shape: number[]): ModelObject {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] },
      },
    },
  };
}

function tensorProto(t: Initializer): ModelObject {
  if (t.type === ONNX_INT64) return { name: t.name, dims: t.dims, dataType: ONNX_INT64, int64Data: t.data };
  const f = t.data as Float32Array;
  // raw_data is little-endian; Float32Array is in the host's order, little-endian on every platform tsnas runs on.
  return {
    name: t.name,
    dims: t.dims,
    dataType: ONNX_FLOAT,
    rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength),
  };
}

function attribute(name: string, v: AttrValue): ModelObject {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}
