// The static page that writeWebPage (`tsnas export` with a web directory) writes (webPage.ts): index.html and its script.
// The script loads onnxruntime-web from the same folder (WebAssembly, one thread: no
// cross-origin isolation needed), reads the model's description from its ONNX metadata_props
// (a small protobuf walk: ModelProto field 14, StringStringEntryProto key 1 / value 2; the keys of
// data/modelDescription.ts), and classifies each image chosen or dropped on the page: drawn on a
// canvas at the model's input by its resize mode (crop: the shorter side to the input, the centre
// cut out; squash: both sides), grey or sRGB colour, normalised as (pixel / 255 - mean) / std,
// run, softmax. It shows the top classes and the time per image; window.tsnasResults keeps every
// answer for tests and scripts.
import { ASSUMED_PREPROCESSING, MODEL_METADATA_KEYS } from '../data/modelDescription';

export const PAGE_SCRIPT = 'tsnas-page.js';
export const PAGE_MODEL = 'model.onnx';
/** onnxruntime-web's files the page loads, copied from its dist folder. */
export const ORT_WEB_FILES = ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function pageHtml(o: { title: string }): string {
  const title = escapeHtml(o.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  #drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; }
  #drop.over { background: #eef; }
  #status { color: #555; margin: 0.5rem 0 1rem; }
  #note { color: #a40; }
  .result { display: flex; gap: 1rem; align-items: center; margin: 0.8rem 0; }
  .result img { width: 64px; height: 64px; object-fit: contain; background: #eee; image-rendering: pixelated; }
  .result .time { color: #777; font-size: 0.9em; }
  .error { color: #b00; }
</style>
</head>
<body>
<h1>${title}</h1>
<div id="status">loading the model ...</div>
<div id="note"></div>
<div id="drop">Drop images here, or <input type="file" id="file" accept="image/*" multiple></div>
<div id="results"></div>
<script type="module" src="./${PAGE_SCRIPT}"></script>
</body>
</html>
`;
}

export function pageScript(): string {
  const k = MODEL_METADATA_KEYS;
  return `// Written by tsnas export (web page): classifies images with the model beside it (${PAGE_MODEL}) in
// onnxruntime-web, with the preprocessing and class names its ONNX metadata records.
import * as ort from './${ORT_WEB_FILES[0]}';

ort.env.wasm.wasmPaths = new URL('./', import.meta.url).href;
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

const $ = (id) => document.getElementById(id);
window.tsnasResults = [];

// A protobuf varint at pos: [value, next position] (Number arithmetic: values up to 2^53).
function varint(b, pos) {
  let v = 0, mul = 1, byte;
  do {
    byte = b[pos++];
    v += (byte & 0x7f) * mul;
    mul *= 128;
  } while (byte & 0x80);
  return [v, pos];
}

// The fields of one message: [field number, wire type, value or bytes].
function fields(b) {
  const out = [];
  let pos = 0;
  while (pos < b.length) {
    let key;
    [key, pos] = varint(b, pos);
    const field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) { let v; [v, pos] = varint(b, pos); out.push([field, wire, v]); }
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) { let n; [n, pos] = varint(b, pos); out.push([field, wire, b.subarray(pos, pos + n)]); pos += n; }
    else throw new Error('not an ONNX model (protobuf wire type ' + wire + ')');
  }
  return out;
}

// ModelProto.metadata_props (field 14) as an object.
function metadataProps(bytes) {
  const text = new TextDecoder();
  const props = {};
  for (const [f, w, v] of fields(bytes)) {
    if (f !== 14 || w !== 2) continue;
    let key = '', value = '';
    for (const [g, x, s] of fields(v)) {
      if (x !== 2) continue;
      if (g === 1) key = text.decode(s);
      if (g === 2) value = text.decode(s);
    }
    props[key] = value;
  }
  return props;
}

// The model's description from its metadata, else the assumed one (with a note), as tsnas predict.
function describe(props, session) {
  const dims = session.inputMetadata?.[0]?.shape;
  if (props[${JSON.stringify(k.format)}]) {
    const [channels, height, width] = JSON.parse(props[${JSON.stringify(k.shape)}]);
    return {
      classNames: JSON.parse(props[${JSON.stringify(k.classNames)}]),
      channels, height, width,
      mean: JSON.parse(props[${JSON.stringify(k.mean)}]),
      std: JSON.parse(props[${JSON.stringify(k.std)}]),
      resize: props[${JSON.stringify(k.resize)}],
      assumed: false,
    };
  }
  if (!dims || dims.length !== 4 || !dims.slice(1).every((d) => typeof d === 'number'))
    throw new Error('the model does not describe its input and its shape is not [batch, C, H, W]');
  const [, channels, height, width] = dims;
  const classes = session.outputMetadata?.[0]?.shape?.[1];
  return {
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    channels, height, width,
    mean: new Array(channels).fill(0.5),
    std: new Array(channels).fill(0.5),
    resize: 'crop',
    assumed: true,
  };
}

let session, model;

async function load() {
  const bytes = new Uint8Array(await (await fetch('./${PAGE_MODEL}')).arrayBuffer());
  session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  model = describe(metadataProps(bytes), session);
  $('status').textContent =
    model.classNames.length + ' classes, input ' + (model.channels === 1 ? 'grey ' : 'colour ') + model.width + 'x' + model.height +
    ' (' + model.resize + '); onnxruntime-web ' + (ort.env.versions?.web ?? '') + ', WebAssembly';
  if (model.assumed)
    $('note').textContent = 'The model does not describe its preprocessing (an older export): assumed ${ASSUMED_PREPROCESSING}.';
}

const f32 = Math.fround;

// An image file -> the model's input, float32 NCHW of one image.
async function toInput(file) {
  const bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const { width: W, height: H, channels: C } = model;
  let sx = 0, sy = 0, sw = bitmap.width, sh = bitmap.height;
  if (model.resize === 'crop') {
    const scale = Math.max(W / sw, H / sh);
    const cw = W / scale, ch = H / scale;
    sx = (sw - cw) / 2; sy = (sh - ch) / 2; sw = cw; sh = ch;
  }
  const canvas = new OffscreenCanvas(W, H);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const same = sw === W && sh === H && sx === 0 && sy === 0;
  ctx.imageSmoothingEnabled = !same;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, sx, sy, sw, sh, 0, 0, W, H);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const plane = W * H;
  const out = new Float32Array(C * plane);
  const lin = (v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const gam = (v) => (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
  for (let k = 0; k < plane; k++) {
    const r = rgba[4 * k], g = rgba[4 * k + 1], b = rgba[4 * k + 2];
    const px = C === 3 ? [r, g, b]
      : [r === g && g === b ? r : Math.round(255 * gam(0.2126 * lin(r / 255) + 0.7152 * lin(g / 255) + 0.0722 * lin(b / 255)))];
    for (let c = 0; c < C; c++)
      out[c * plane + k] = f32(f32(f32(px[c] / 255) - f32(model.mean[c])) / f32(model.std[c]));
  }
  return out;
}

function softmax(x) {
  const max = Math.max(...x);
  const e = Array.from(x, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

async function classify(file) {
  const t0 = performance.now();
  const data = await toInput(file);
  const t1 = performance.now();
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [1, model.channels, model.height, model.width]) };
  const out = (await session.run(feeds))[session.outputNames[0]];
  const t2 = performance.now();
  const top = softmax(out.data)
    .map((probability, index) => ({ index, className: model.classNames[index] ?? String(index), probability }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, 5);
  return { image: file.name, top, preprocessMs: t1 - t0, modelMs: t2 - t1 };
}

function show(file, r, error) {
  const row = document.createElement('div');
  row.className = 'result';
  const img = document.createElement('img');
  img.src = URL.createObjectURL(file);
  const text = document.createElement('div');
  if (error) {
    text.className = 'error';
    text.textContent = file.name + ': ' + error;
  } else {
    const best = r.top.slice(0, 3).map((t) => t.className + ' ' + (100 * t.probability).toFixed(1) + '%').join(', ');
    text.innerHTML = '<b></b><br><span class="time"></span>';
    text.querySelector('b').textContent = file.name + ': ' + best;
    text.querySelector('.time').textContent =
      'model ' + r.modelMs.toFixed(1) + ' ms, image to input ' + r.preprocessMs.toFixed(1) + ' ms';
  }
  row.append(img, text);
  $('results').prepend(row);
}

async function classifyAll(files) {
  for (const file of files) {
    try {
      const r = await classify(file);
      window.tsnasResults.push(r);
      show(file, r, null);
    } catch (e) {
      window.tsnasResults.push({ image: file.name, error: String(e?.message ?? e) });
      show(file, null, 'cannot classify it: ' + (e?.message ?? e));
    }
  }
}

$('file').addEventListener('change', (e) => classifyAll([...e.target.files]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  classifyAll([...e.dataTransfer.files].filter((f) => f.type.startsWith('image/')));
});

load().then(
  () => { window.tsnasReady = true; },
  (e) => { $('status').textContent = 'the model did not load: ' + (e?.message ?? e); $('status').className = 'error'; window.tsnasError = String(e?.message ?? e); },
);
`;
}
