// safetensors files (the format of Python's `safetensors`): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__}, then raw bytes.
import * as fs from 'node:fs';
import { native } from './binding';
import type { DType } from './dtype';
import { Tensor } from './tensor';

const CODE: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};
const DTYPE_OF: Record<string, DType> = Object.fromEntries(Object.entries(CODE).map(([k, v]) => [v, k as DType]));
const WIDTH: Record<DType, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Serialises named tensors (and string metadata) to the safetensors byte layout. */
export function encodeSafetensors(
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Buffer {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // Widest dtypes first, then by name: every tensor stays aligned to its element size.
  entries.sort(([na, a], [nb, b]) => WIDTH[b.dtype] - WIDTH[a.dtype] || (na < nb ? -1 : na > nb ? 1 : 0));
  const header: Record<string, Entry | Record<string, string>> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const data = t.dataSync();
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: CODE[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...chunks]);
}

/** Writes a safetensors file atomically (temp file, then rename), so a crash leaves the old one. */
export function saveSafetensors(
  file: string,
  tensors: Record<string, Tensor> | Map<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, encodeSafetensors(tensors, metadata));
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export interface SafetensorsContent {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses safetensors bytes; `source` names the file in errors. */
export function decodeSafetensors(buf: Buffer, source = 'safetensors data', device = 'cpu'): SafetensorsContent {
  const bad = (why: string) => new Error(`${source}: not a valid safetensors file: ${why}`);
  if (buf.length < 8) throw bad(`${buf.length} bytes, shorter than the 8-byte header length`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw bad(`header claims ${n} bytes but only ${buf.length - 8} follow`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, Tensor>();
  const metadata = (header.__metadata__ as Record<string, string>) ?? {};
  try {
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const e = raw as Entry;
      const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
      if (!e || typeof e !== 'object' || !Array.isArray(e.shape) || !e.shape.every(isCount)) {
        throw bad(`tensor '${name}' has no valid shape (a list of non-negative integers)`);
      }
      if (
        !Array.isArray(e.data_offsets) ||
        e.data_offsets.length !== 2 ||
        !e.data_offsets.every(isCount) ||
        e.data_offsets[0] > e.data_offsets[1]
      ) {
        throw bad(`tensor '${name}' has no valid data_offsets (two non-negative integers, begin <= end)`);
      }
      const dtype = DTYPE_OF[e.dtype];
      if (!dtype)
        throw bad(`tensor '${name}' has unsupported dtype ${e.dtype} (supported: ${Object.values(CODE).join(', ')})`);
      const [begin, end] = e.data_offsets;
      const numel = e.shape.reduce((a, b) => a * b, 1);
      if (end - begin !== numel * WIDTH[dtype] || end > data.length) {
        throw bad(
          `tensor '${name}' (${e.dtype} ${JSON.stringify(e.shape)}) has offsets [${begin}, ${end}] that do not fit its shape or the file`,
        );
      }
      // Copy into an aligned buffer: the typed-array view needs aligned offsets.
      const bytes = new Uint8Array(end - begin);
      bytes.set(data.subarray(begin, end));
      tensors.set(name, Tensor.wrap(native.fromBuffer(bytes, e.shape, dtype, device), `load ${name}`));
    }
    // As Python's reader: the tensors' byte ranges must tile the data exactly (no gaps, overlaps or
    // trailing bytes), which also catches offsets that point at the wrong place.
    const ranges = Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([k, e]) => [k, (e as Entry)?.data_offsets] as const)
      .filter(([, o]) => Array.isArray(o) && o.length === 2)
      .sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1]);
    let cursor = 0;
    for (const [name, [begin, end]] of ranges) {
      if (begin !== cursor)
        throw bad(`tensor '${name}' starts at byte ${begin}, expected ${cursor} (gap or overlap between tensors)`);
      cursor = end;
    }
    if (ranges.length && cursor !== data.length)
      throw bad(`the tensors cover ${cursor} data bytes but the file holds ${data.length}`);
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    const msg = (err as Error).message;
    throw msg.startsWith(source) ? err : bad(msg);
  }
  return { tensors, metadata };
}

export function loadSafetensors(file: string, device = 'cpu'): SafetensorsContent {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read safetensors file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return decodeSafetensors(buf, file, device);
}

/**
 * The string metadata of a safetensors file, read from its header alone (no tensor is loaded):
 * what a checkpoint says about itself, checked before its weights are.
 */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  const bad = (why: string) => new Error(`${file}: not a valid safetensors file: ${why}`);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`cannot read safetensors file ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) !== 8)
      throw bad(`${size} bytes, shorter than the 8-byte header length`);
    const n = Number(head.readBigUInt64LE(0));
    if (n > size - 8) throw bad(`header claims ${n} bytes but only ${size - 8} follow`);
    const json = Buffer.alloc(n);
    fs.readSync(fd, json, 0, n, 8);
    let header: unknown;
    try {
      header = JSON.parse(json.toString('utf8'));
    } catch (e) {
      throw bad(`header is not JSON (${(e as Error).message})`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header))
      throw bad('header is not a JSON object');
    return ((header as Record<string, unknown>).__metadata__ as Record<string, string>) ?? {};
  } finally {
    fs.closeSync(fd);
  }
}
