// safetensors: round trips of every dtype with metadata, the Python-written fixture, errors that
// name the file and the problem, and atomic saving.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs = require('node:fs');
import * as os from 'node:os';
import * as path from 'node:path';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  memory,
  randn,
  saveSafetensors,
  tensor,
  tidy,
  type Tensor,
} from '../../src/engine';
import { noLeaks } from '../helpers/leakCheck';

const FIXTURE = path.resolve(__dirname, '../../../test/fixtures/ref_mbconv.safetensors');

/** Runs body in a tidy scope; test/helpers/leakCheck's noLeaks asserts the live tensor count is unchanged. */
const leakFree = (body: () => void) => noLeaks(() => tidy(body));

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-safetensors-'));
}

const bytesOf = (t: Tensor): Buffer => {
  const d = t.dataSync();
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
};

/** Reads the header straight from the bytes (independently of the decoder). */
function rawHeader(buf: Buffer): { n: number; header: Record<string, any> } {
  const n = Number(buf.readBigUInt64LE(0));
  return { n, header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) };
}

/** A file from a header object (or raw header text) and data bytes. */
function fileBytes(header: object | string, data: Buffer = Buffer.alloc(0), claimedLength?: number): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(claimedLength ?? json.length));
  return Buffer.concat([head, json, data]);
}

function sampleTensors(): Record<string, Tensor> {
  return {
    f32: tensor(Float32Array.from([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4e38, -7.25]), [2, 4]),
    f64: tensor(Float64Array.from([Math.PI, -0, NaN, 5e-324, -1.7976931348623157e308, 1 / 3]), [3, 1, 2]),
    i64: tensor(BigInt64Array.from([0n, -1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]), [5]),
    i32: tensor(Int32Array.from([-2147483648, 2147483647, 0, 42]), [2, 2]),
    u8: tensor(Uint8Array.from([0, 1, 128, 255]), [4]),
    flags: tensor(Uint8Array.from([1, 0, 0, 1, 1, 0]), [2, 3], { dtype: 'bool' }),
    scalar: tensor(Float64Array.from([2.5]), []),
    empty: tensor(Float32Array.from([]), [0, 3]),
    // Non-contiguous sources are written in logical (row-major) order.
    transposed: tensor([1, 2, 3, 4, 5, 6], [2, 3]).transpose(0, 1),
    channelsLast: randn([2, 3, 2, 2]).contiguous('channels_last'),
  };
}

test(
  'every dtype round-trips bit for bit, with metadata',
  leakFree(() => {
    const dir = tmpDir();
    try {
      const src = sampleTensors();
      const metadata = { format: 'pt', note: 'quotes " and \\ backslash, ünïcödé ✓', empty: '' };
      const file = path.join(dir, 'all.safetensors');
      saveSafetensors(file, src, metadata);
      const { tensors, metadata: meta } = loadSafetensors(file);
      assert.deepEqual(meta, metadata);
      assert.deepEqual([...tensors.keys()].sort(), Object.keys(src).sort());
      for (const [name, t] of Object.entries(src)) {
        const u = tensors.get(name)!;
        assert.equal(u.dtype, t.dtype, `${name} dtype`);
        assert.deepEqual(u.shape, t.shape, `${name} shape`);
        assert.ok(bytesOf(u).equals(bytesOf(t)), `${name} bytes`);
      }
      assert.deepEqual(tensors.get('transposed')!.toArray(), [1, 4, 2, 5, 3, 6]);
      assert.deepEqual(Array.from(tensors.get('i64')!.dataSync() as BigInt64Array), [
        0n,
        -1n,
        9007199254740993n,
        -(2n ** 63n),
        2n ** 63n - 1n,
      ]);

      // The bytes follow the format: header length a multiple of 8, padded with spaces, offsets
      // contiguous from 0 with no holes, each tensor aligned to its element size.
      const buf = fs.readFileSync(file);
      const { n, header } = rawHeader(buf);
      assert.equal(n % 8, 0);
      assert.match(buf.subarray(8, 8 + n).toString('utf8'), /^\{.*\} *$/s);
      assert.deepEqual(header.__metadata__, metadata);
      const codes: Record<string, string> = {
        f32: 'F32',
        f64: 'F64',
        i64: 'I64',
        i32: 'I32',
        u8: 'U8',
        flags: 'BOOL',
        scalar: 'F64',
        empty: 'F32',
        transposed: 'F32',
        channelsLast: 'F32',
      };
      const width: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, U8: 1, BOOL: 1 };
      const spans = Object.entries(header)
        .filter(([k]) => k !== '__metadata__')
        .map(([k, e]) => ({
          k,
          dtype: e.dtype as string,
          shape: e.shape as number[],
          b: e.data_offsets[0] as number,
          e: e.data_offsets[1] as number,
        }))
        .sort((x, y) => x.b - y.b || x.e - y.e);
      let end = 0;
      for (const s of spans) {
        assert.equal(s.dtype, codes[s.k], `${s.k} dtype code`);
        assert.equal(s.b, end, `${s.k} starts where the previous tensor ended`);
        assert.equal(s.e - s.b, s.shape.reduce((a, b) => a * b, 1) * width[s.dtype]!, `${s.k} byte length`);
        assert.equal(s.b % width[s.dtype]!, 0, `${s.k} is aligned`);
        end = s.e;
      }
      assert.equal(8 + n + end, buf.length, 'the data ends the file');
      // In-memory encode/decode agree with the file.
      assert.ok(encodeSafetensors(src, metadata).equals(buf));
      // A Map works as input too, and no metadata means no __metadata__ entry.
      const plain = encodeSafetensors(new Map([['x', src.f32!]]));
      assert.equal(rawHeader(plain).header.__metadata__, undefined);
      assert.deepEqual(decodeSafetensors(plain).metadata, {});
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'loads the Python-written fixture (test/fixtures/make_nn_fixtures.py)',
  leakFree(() => {
    const buf = fs.readFileSync(FIXTURE);
    const { header } = rawHeader(buf);
    const { tensors, metadata } = loadSafetensors(FIXTURE);
    assert.deepEqual(metadata, header.__metadata__);
    assert.match(metadata.torch_version!, /^\d+\.\d+/);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.deepEqual([...tensors.keys()].sort(), names.sort());
    const dtypeOf: Record<string, string> = { F32: 'float32', I64: 'int64', F64: 'float64' };
    for (const name of names) {
      const t = tensors.get(name)!;
      assert.equal(t.dtype, dtypeOf[header[name].dtype], `${name} dtype`);
      assert.deepEqual(t.shape, header[name].shape, `${name} shape`);
      // Values are the file's bytes.
      const [b, e] = header[name].data_offsets as [number, number];
      const n = Number(buf.readBigUInt64LE(0));
      assert.ok(bytesOf(t).equals(buf.subarray(8 + n + b, 8 + n + e)), `${name} bytes`);
    }
    assert.deepEqual(tensors.get('input.x')!.shape, [8, 3, 32, 32]);
    const y = tensors.get('input.y')!;
    assert.equal(y.dtype, 'int64');
    assert.ok(y.toArray().every((v) => Number.isInteger(v) && v >= 0 && v < 10));
    assert.deepEqual(tensors.get('init.1.num_batches_tracked')!.toArray(), [0]);
    assert.deepEqual(tensors.get('final.1.num_batches_tracked')!.toArray(), [Number(metadata.steps)]);
    // tsnas re-encodes it into a file that decodes to the same tensors.
    const again = decodeSafetensors(encodeSafetensors(tensors, metadata), 're-encoded');
    assert.deepEqual(again.metadata, metadata);
    for (const [name, t] of tensors) assert.ok(bytesOf(again.tensors.get(name)!).equals(bytesOf(t)), name);
  }),
);

test(
  'malformed files give an Error naming the file and the problem (and leak nothing)',
  leakFree(() => {
    const dir = tmpDir();
    try {
      const good = encodeSafetensors({
        a: tensor(Float32Array.from([1, 2, 3, 4])),
        b: tensor(Float64Array.from([5, 6, 7])),
      });
      const ok = tensor(Float32Array.from([1, 2]));
      const okBytes = bytesOf(ok);
      const cases: Array<[string, Buffer, RegExp]> = [
        [
          'truncated',
          good.subarray(0, good.length - 5),
          /tensor '\w' \(F\d\d \[\d\]\) has offsets \[\d+, \d+\] that do not fit its shape or the file/,
        ],
        ['truncated-header', good.subarray(0, 5), /5 bytes, shorter than the 8-byte header length/],
        [
          'length-too-large',
          fileBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, okBytes, 4096),
          /header claims 4096 bytes but only \d+ follow/,
        ],
        ['length-huge', fileBytes('{}', Buffer.alloc(0), 2 ** 53), /header claims \d+ bytes but only 2 follow/],
        ['bad-json', fileBytes('{"a": {"dtype": "F32", ', okBytes), /header is not JSON/],
        [
          'unknown-dtype',
          fileBytes(
            {
              ok: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              h: { dtype: 'F16', shape: [2], data_offsets: [8, 12] },
            },
            Buffer.concat([okBytes, Buffer.alloc(4)]),
          ),
          /tensor 'h' has unsupported dtype F16 \(supported: F32, F64, I64, I32, U8, BOOL\)/,
        ],
        [
          'shape-mismatch',
          fileBytes(
            {
              ok: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              m: { dtype: 'F32', shape: [3], data_offsets: [0, 8] },
            },
            okBytes,
          ),
          /tensor 'm' \(F32 \[3\]\) has offsets \[0, 8\] that do not fit its shape/,
        ],
        [
          'past-the-end',
          fileBytes({ m: { dtype: 'F64', shape: [2], data_offsets: [8, 24] } }, Buffer.alloc(16)),
          /tensor 'm' \(F64 \[2\]\) has offsets \[8, 24\] that do not fit its shape or the file/,
        ],
      ];
      for (const [name, bytes, problem] of cases) {
        const file = path.join(dir, `${name}.safetensors`);
        fs.writeFileSync(file, bytes);
        const live = memory().liveTensors;
        assert.throws(
          () => loadSafetensors(file),
          (e: unknown) => {
            assert.ok(e instanceof Error, `${name}: an Error`);
            assert.ok(e.message.includes(file), `${name}: the message names the file: ${e.message}`);
            assert.match(e.message, /not a valid safetensors file/, name);
            assert.match(e.message, problem, name);
            return true;
          },
          `${name} should fail`,
        );
        assert.equal(memory().liveTensors, live, `${name}: tensors decoded before the error are freed`);
      }
      const missing = path.join(dir, 'nope.safetensors');
      assert.throws(
        () => loadSafetensors(missing),
        (e: Error) => e.message.includes(`cannot read safetensors file ${missing}`),
      );
      // Structural problems: each names the file and what is wrong.
      const more: Array<[string, Buffer, RegExp]> = [
        ['null-header', fileBytes('null', Buffer.alloc(0)), /header is not a JSON object/],
        [
          'no-shape',
          fileBytes({ a: { dtype: 'F32', data_offsets: [0, 8] } }, okBytes),
          /tensor 'a' has no valid shape/,
        ],
        ['no-offsets', fileBytes({ a: { dtype: 'F32', shape: [2] } }, okBytes), /tensor 'a' has no valid data_offsets/],
        [
          'negative-offsets',
          fileBytes({ a: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, okBytes),
          /no valid data_offsets/,
        ],
        [
          'negative-dim',
          fileBytes({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, okBytes),
          /no valid shape/,
        ],
        [
          'overlap',
          fileBytes(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
            },
            okBytes,
          ),
          /gap or overlap/,
        ],
        [
          'trailing-bytes',
          fileBytes(
            { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } },
            Buffer.concat([okBytes, Buffer.alloc(8)]),
          ),
          /cover 8 data bytes but the file holds 16/,
        ],
      ];
      for (const [name, bytes, problem] of more) {
        const file = path.join(dir, `${name}.safetensors`);
        fs.writeFileSync(file, bytes);
        const live = memory().liveTensors;
        assert.throws(
          () => loadSafetensors(file),
          (e: unknown) => {
            assert.ok(
              e instanceof Error && e.message.includes(file) && problem.test(e.message),
              `${name}: ${(e as Error).message}`,
            );
            return true;
          },
        );
        assert.equal(memory().liveTensors, live, `${name}: nothing leaks`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test(
  'saveSafetensors is atomic: writes a temp file beside the target, then renames it',
  leakFree(() => {
    const dir = tmpDir();
    try {
      const file = path.join(dir, 'ckpt.safetensors');
      const writes: string[] = [];
      const renames: Array<[string, string]> = [];
      const realWrite = fs.writeFileSync;
      const realRename = fs.renameSync;
      const w = mock.method(
        fs,
        'writeFileSync',
        (p: fs.PathOrFileDescriptor, d: string | NodeJS.ArrayBufferView, o?: fs.WriteFileOptions) => {
          writes.push(String(p));
          realWrite(p, d, o);
        },
      );
      const r = mock.method(fs, 'renameSync', (a: fs.PathLike, b: fs.PathLike) => {
        renames.push([String(a), String(b)]);
        realRename(a, b);
      });
      try {
        saveSafetensors(file, { w: tensor([1, 2, 3]) }, { v: '1' });
        saveSafetensors(file, { w: tensor([4, 5, 6]) }, { v: '2' });
      } finally {
        w.mock.restore();
        r.mock.restore();
      }
      assert.equal(writes.length, 2);
      for (const [i, tmp] of writes.entries()) {
        assert.notEqual(tmp, file, 'writes a temp file, not the target');
        assert.equal(
          path.dirname(tmp),
          dir,
          'the temp file is beside the target (same filesystem, so rename is atomic)',
        );
        assert.deepEqual(renames[i], [tmp, file]);
        assert.equal(fs.existsSync(tmp), false, 'the temp file is gone');
      }
      assert.deepEqual(fs.readdirSync(dir), ['ckpt.safetensors']);
      const second = loadSafetensors(file);
      assert.deepEqual(second.metadata, { v: '2' });
      assert.deepEqual(second.tensors.get('w')!.toArray(), [4, 5, 6]);

      // A crash in the middle of writing leaves the previous file intact.
      const crash = mock.method(fs, 'writeFileSync', (p: fs.PathOrFileDescriptor, d: NodeJS.ArrayBufferView) => {
        realWrite(p, Buffer.from(d.buffer, d.byteOffset, Math.floor(d.byteLength / 2)));
        throw new Error('disk full');
      });
      try {
        assert.throws(() => saveSafetensors(file, { w: tensor([7, 8, 9]) }, { v: '3' }), /disk full/);
      } finally {
        crash.mock.restore();
      }
      const kept = loadSafetensors(file);
      assert.deepEqual(kept.metadata, { v: '2' });
      assert.deepEqual(kept.tensors.get('w')!.toArray(), [4, 5, 6]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);
