// IDX files (MNIST, Fashion-MNIST): big-endian header with a magic number (0x0000 08 NDIM for
// unsigned bytes), NDIM sizes, then the data. Gzipped or not.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads an IDX ubyte file, gunzipping if needed; errors name the file and what was expected. */
export function readIdx(file: string, expectedDims: number): IdxArray {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      cause: e,
    });
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = zlib.gunzipSync(raw);
    } catch (e) {
      throw new Error(`${file}: corrupt gzip data (${(e as Error).message}); the download may be truncated`, {
        cause: e,
      });
    }
  }
  if (raw.length < 4) throw new Error(`${file}: ${raw.length} bytes, too short for an IDX header`);
  const magic = raw.readUInt32BE(0);
  const type = (magic >> 8) & 0xff;
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== 0x08) {
    throw new Error(
      `${file}: magic number 0x${magic.toString(16).padStart(8, '0')} is not an IDX unsigned-byte file (expected 0x000008${expectedDims.toString(16).padStart(2, '0')})`,
    );
  }
  if (ndim !== expectedDims) throw new Error(`${file}: IDX file has ${ndim} dimensions, expected ${expectedDims}`);
  const headerBytes = 4 + 4 * ndim;
  if (raw.length < headerBytes) throw new Error(`${file}: truncated header (${raw.length} bytes)`);
  const dims = Array.from({ length: ndim }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const need = dims.reduce((a, b) => a * b, 1);
  const have = raw.length - headerBytes;
  if (have < need) {
    throw new Error(
      `${file}: truncated: the header promises ${dims.join('x')} = ${need} bytes of data but the file holds ${have}`,
    );
  }
  return { dims, data: new Uint8Array(raw.buffer, raw.byteOffset + headerBytes, need) };
}

/** Finds `base` or `base.gz` in dir. */
export function findIdxFile(dir: string, base: string, dataset: string, hint: string): string {
  for (const name of [base, `${base}.gz`]) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`${dataset}: cannot find ${base} or ${base}.gz in ${dir}. ${hint}`);
}
