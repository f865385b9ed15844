// What a trained network expects and answers, so that it can be used without its data set: the
// class names, the input (layout NCHW, channels, height, width), the per-channel mean and std of
// the normalisation and how an image is fitted to the input (the resize mode). The trainer stores
// it in the checkpoint, the ONNX export in the model's metadata_props (modelMetadata), and
// prediction decodes images by it (src/predict/). An image becomes the input as the loader made
// it: x = (pixel / 255 - mean[c]) / std[c], grey (1 channel) or sRGB colour (3 channels).
import type { ResizeMode } from './imageDecode';
import { RESIZE_MODES } from './imageDecode';
import type { DataSource } from './imageSet';

export const MODEL_FORMAT = 'tsnas-model/1';

export interface ModelDescription {
  format: typeof MODEL_FORMAT;
  classNames: string[];
  input: { layout: 'NCHW'; channels: number; height: number; width: number };
  /** Per channel, in [0, 1] pixel units (pixel / 255). */
  mean: number[];
  std: number[];
  /** How an image of another size is fitted: 'crop' (shorter side, then the centre) or 'squash'. */
  resize: ResizeMode;
}

/** The description of a network trained on `data` with inputs of `input` (CxHxW). */
export function describeModel(data: DataSource, input: readonly [number, number, number]): ModelDescription {
  return {
    format: MODEL_FORMAT,
    classNames: [...data.classNames],
    input: { layout: 'NCHW', channels: input[0], height: input[1], width: input[2] },
    mean: [...data.mean],
    std: [...data.std],
    resize: data.resize ?? 'crop',
  };
}

/** What is assumed of a model that does not describe itself (an older checkpoint or ONNX file). */
export const ASSUMED_PREPROCESSING = 'mean 0.5 and std 0.5 per channel, resize crop, classes named by index';

/** The description assumed for a network of `input` and `classes` that carries none. */
export function assumedDescription(input: readonly [number, number, number], classes: number): ModelDescription {
  return {
    format: MODEL_FORMAT,
    classNames: Array.from({ length: classes }, (_, k) => String(k)),
    input: { layout: 'NCHW', channels: input[0], height: input[1], width: input[2] },
    mean: new Array<number>(input[0]).fill(0.5),
    std: new Array<number>(input[0]).fill(0.5),
    resize: 'crop',
  };
}

/** The keys of an ONNX model's metadata_props that describe it (docs/export.md). */
export const MODEL_METADATA_KEYS = {
  format: 'tsnas_model',
  classNames: 'class_names',
  layout: 'input_layout',
  shape: 'input_shape',
  colour: 'input_colour',
  mean: 'mean',
  std: 'std',
  resize: 'resize',
  normalize: 'normalize',
} as const;

/** The description as ONNX metadata_props: one key each, lists as JSON. */
export function modelMetadata(d: ModelDescription): Record<string, string> {
  const k = MODEL_METADATA_KEYS;
  return {
    [k.format]: d.format,
    [k.classNames]: JSON.stringify(d.classNames),
    [k.layout]: d.input.layout,
    [k.shape]: JSON.stringify([d.input.channels, d.input.height, d.input.width]),
    [k.colour]: d.input.channels === 1 ? 'grey' : 'rgb',
    [k.mean]: JSON.stringify(d.mean),
    [k.std]: JSON.stringify(d.std),
    [k.resize]: d.resize,
    [k.normalize]: '(pixel / 255 - mean[c]) / std[c]',
  };
}

/**
 * The description in ONNX metadata (modelMetadata's keys); null when the model has none (an older
 * export, or a model from elsewhere). Present but malformed is an error naming the key.
 */
export function readModelMetadata(props: Record<string, string>, where: string): ModelDescription | null {
  const k = MODEL_METADATA_KEYS;
  if (props[k.format] === undefined) return null;
  const json = (key: string): unknown => {
    const text = props[key];
    if (text === undefined) throw new Error(`${where}: the model's metadata has ${k.format} but no '${key}'`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${where}: the model's metadata '${key}' is not JSON: ${text.slice(0, 80)}`);
    }
  };
  const shape = json(k.shape);
  if (!Array.isArray(shape) || shape.length !== 3)
    throw new Error(`${where}: the model's metadata '${k.shape}' is not [C, H, W]: ${props[k.shape]}`);
  return checkModelDescription(
    {
      format: props[k.format],
      classNames: json(k.classNames),
      input: { layout: props[k.layout], channels: shape[0], height: shape[1], width: shape[2] },
      mean: json(k.mean),
      std: json(k.std),
      resize: props[k.resize],
    },
    `${where} (metadata)`,
  );
}

/** Checks a description read from a file (a checkpoint's JSON, a model's metadata); errors name the field. */
export function checkModelDescription(v: unknown, where: string): ModelDescription {
  const bad = (field: string, why: string) => new Error(`${where}: the model description's ${field} ${why}`);
  if (!v || typeof v !== 'object') throw bad('', 'is not an object');
  const d = v as Record<string, unknown>;
  if (d.format !== MODEL_FORMAT) throw bad('format', `is ${JSON.stringify(d.format)}, not '${MODEL_FORMAT}'`);
  const input = d.input as Record<string, unknown> | undefined;
  if (!input || input.layout !== 'NCHW') throw bad('input.layout', `is ${JSON.stringify(input?.layout)}, not 'NCHW'`);
  for (const f of ['channels', 'height', 'width'] as const)
    if (!Number.isInteger(input[f]) || (input[f] as number) < 1)
      throw bad(`input.${f}`, `is ${JSON.stringify(input[f])}, not a positive integer`);
  const channels = input.channels as number;
  if (channels !== 1 && channels !== 3) throw bad('input.channels', `is ${channels}: images decode to 1 or 3`);
  const names = d.classNames;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string'))
    throw bad('classNames', 'is not a list of names');
  for (const f of ['mean', 'std'] as const) {
    const a = d[f];
    if (!Array.isArray(a) || a.length !== channels || !a.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw bad(f, `is not ${channels} number${channels === 1 ? '' : 's'} (one per channel): ${JSON.stringify(a)}`);
  }
  if ((d.std as number[]).some((x) => !(x > 0))) throw bad('std', `has a value that is not positive`);
  if (!RESIZE_MODES.includes(d.resize as ResizeMode))
    throw bad('resize', `is ${JSON.stringify(d.resize)}, not one of ${RESIZE_MODES.join(', ')}`);
  return {
    format: MODEL_FORMAT,
    classNames: names as string[],
    input: { layout: 'NCHW', channels, height: input.height as number, width: input.width as number },
    mean: d.mean as number[],
    std: d.std as number[],
    resize: d.resize as ResizeMode,
  };
}
