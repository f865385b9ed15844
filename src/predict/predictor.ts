// A trained model to ask what images are: a run directory (or checkpoint file) of tsnas train, run
// in the engine, or an ONNX file, run in onnxruntime-node (loaded only then). Either way the model
// brings its own description (class names, input, mean and std, resize: data/modelDescription.ts);
// one that has none (written before tsnas recorded it, or exported elsewhere) gets the assumed
// one, and the predictor says so in a note. The engine loads only for a run directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ASSUMED_PREPROCESSING,
  assumedDescription,
  checkModelDescription,
  readModelMetadata,
  type ModelDescription,
} from '../data/modelDescription';
import { decodeModel } from '../export/onnxProto';
import { loadOrtNode, ortSession } from '../export/onnxRuntimeNode';

export interface Predictor {
  /** The model as named. */
  source: string;
  kind: 'run' | 'onnx';
  runtime: 'engine' | 'onnxruntime-node';
  description: ModelDescription;
  /** True when the model carries no description and the assumed one is used. */
  assumed: boolean;
  /** What to say once (the assumed preprocessing). */
  notes: string[];
  /** Logits [n, classes] of n inputs, each C*H*W values, concatenated. */
  logits(inputs: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface PredictorOptions {
  /** Intra-op threads of the engine or onnxruntime (default 1). */
  threads?: number;
}

const NOT_A_MODEL =
  "give a run directory of 'tsnas train' (or its checkpoint.safetensors) or an ONNX model written by 'tsnas export'";

/** Opens a run directory, checkpoint file or ONNX file as a predictor. */
export async function openPredictor(model: string, o: PredictorOptions = {}): Promise<Predictor> {
  let st: fs.Stats;
  try {
    st = fs.statSync(model);
  } catch {
    throw new Error(`model ${model}: no such file or directory; ${NOT_A_MODEL}`);
  }
  if (st.isDirectory()) {
    if (!fs.existsSync(path.join(model, 'checkpoint.safetensors')))
      throw new Error(
        `model ${model}: a directory without checkpoint.safetensors, so not a run directory; ${NOT_A_MODEL}`,
      );
    return openRun(model, o);
  }
  const head = Buffer.alloc(9);
  const fd = fs.openSync(model, 'r');
  try {
    fs.readSync(fd, head, 0, 9, 0);
  } finally {
    fs.closeSync(fd);
  }
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  if (head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(st.size)) return openRun(model, o);
  return openOnnx(model, new Uint8Array(fs.readFileSync(model)), o);
}

async function openRun(model: string, o: PredictorOptions): Promise<Predictor> {
  const { restoreNetwork } = await import('../train/restoreNetwork');
  const { tensor } = await import('../engine/creation');
  const { tidy } = await import('../engine/memory');
  const { noGrad } = await import('../engine/autograd');
  const { setNumThreads } = await import('../engine/runtime');
  setNumThreads(o.threads ?? 1);
  const { network, info } = restoreNetwork(model);
  try {
    network.eval();
    let description: ModelDescription;
    const notes: string[] = [];
    if (info.model !== undefined) {
      description = checkModelDescription(info.model, `${model}: the checkpoint's model`);
      const d = description.input;
      if (d.channels !== info.input[0] || d.height !== info.input[1] || d.width !== info.input[2])
        throw new Error(
          `${model}: the checkpoint's model input is ${d.channels}x${d.height}x${d.width} but its network's ${info.input.join('x')}`,
        );
      if (description.classNames.length !== info.classes)
        throw new Error(
          `${model}: the checkpoint's model names ${description.classNames.length} classes but its network has ${info.classes}`,
        );
    } else {
      description = assumedDescription(info.input, info.classes);
      notes.push(
        `${model}: the checkpoint does not record its preprocessing (written by an older tsnas): assumed ${ASSUMED_PREPROCESSING}; train it again for its own`,
      );
    }
    const { channels, height, width } = description.input;
    return {
      source: model,
      kind: 'run',
      runtime: 'engine',
      description,
      assumed: info.model === undefined,
      notes,
      logits: async (inputs, n) =>
        tidy(() =>
          noGrad(() => network.forward(tensor(inputs, [n, channels, height, width])).dataSync() as Float32Array),
        ),
      close: async () => network.dispose(),
    };
  } catch (e) {
    network.dispose();
    throw e;
  }
}

interface Dim {
  dimValue?: number;
  dimParam?: string;
}
interface ValueInfo {
  name?: string;
  type?: { tensorType?: { shape?: { dim?: Dim[] } } };
}

async function openOnnx(model: string, bytes: Uint8Array, o: PredictorOptions): Promise<Predictor> {
  let proto: Record<string, unknown>;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    throw new Error(
      `model ${model}: neither a tsnas checkpoint nor an ONNX model (${(e as Error).message}); ${NOT_A_MODEL}`,
      {
        cause: e,
      },
    );
  }
  const graph = proto.graph as
    { input?: ValueInfo[]; output?: ValueInfo[]; initializer?: { name?: string }[] } | undefined;
  // Graph inputs that are initializers (older exporters list weights as inputs) are not fed.
  const weights = new Set((graph?.initializer ?? []).map((t) => t.name));
  const inputs = (graph?.input ?? []).filter((v) => !weights.has(v.name));
  if (!graph || inputs.length === 0 || !graph.output?.length)
    throw new Error(`model ${model}: not an ONNX model (no graph with an input and an output); ${NOT_A_MODEL}`);
  const dims = (v: ValueInfo) => v.type?.tensorType?.shape?.dim ?? [];
  const inDims = dims(inputs[0]!);
  const outDims = dims(graph.output[0]!);
  const fixed = (d: Dim | undefined) => (d?.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : null);
  const [c, h, w] = [fixed(inDims[1]), fixed(inDims[2]), fixed(inDims[3])];
  const classes = fixed(outDims[1]);
  if (inDims.length !== 4 || c === null || h === null || w === null || outDims.length !== 2 || classes === null)
    throw new Error(
      `model ${model}: its input is not [batch, C, H, W] with fixed C, H, W, or its output not [batch, classes]: not an image classifier tsnas can feed`,
    );
  const props = Object.fromEntries(
    ((proto.metadataProps as { key: string; value: string }[] | undefined) ?? []).map((p) => [p.key, p.value ?? '']),
  );
  const found = readModelMetadata(props, model);
  const notes: string[] = [];
  let description: ModelDescription;
  if (found) {
    description = found;
    const d = found.input;
    if (d.channels !== c || d.height !== h || d.width !== w || found.classNames.length !== classes)
      throw new Error(
        `model ${model}: its metadata describes ${d.channels}x${d.height}x${d.width} inputs and ${found.classNames.length} classes, its graph ${c}x${h}x${w} and ${classes}`,
      );
  } else {
    if (c !== 1 && c !== 3)
      throw new Error(`model ${model}: its input has ${c} channels; images decode to 1 (grey) or 3 (colour)`);
    description = assumedDescription([c, h, w], classes);
    notes.push(
      `${model}: the model's metadata does not describe its preprocessing (an older or another exporter): assumed ${ASSUMED_PREPROCESSING}; export a trained run again for its own`,
    );
  }
  const ort = await loadOrtNode();
  let session: Awaited<ReturnType<typeof ortSession>>;
  try {
    session = await ortSession(bytes, { threads: o.threads ?? 1 });
  } catch (e) {
    throw new Error(`model ${model}: onnxruntime-node cannot load it (${(e as Error).message.split('\n')[0]})`, {
      cause: e,
    });
  }
  return {
    source: model,
    kind: 'onnx',
    runtime: 'onnxruntime-node',
    description,
    assumed: !found,
    notes,
    logits: async (data, n) => {
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [n, c, h, w]) };
      const out = (await session.run(feeds))[session.outputNames[0]!]!;
      return Float32Array.from(out.data as Float32Array);
    },
    close: () => session.release(),
  };
}
