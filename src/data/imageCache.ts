// The cache of decoded images: one file per data set and decoding target, holding every listed
// image's uint8 pixels, keyed by the files (path, size, modification time) and the target (channels,
// size, resize mode). A folder that changes (a file added, removed or modified) has another key, so
// it is decoded again, never mixed with the old pixels; the old file is removed once the new one is
// written. Format: 'TSNASIMG', a uint32 (little-endian) header length, the header as JSON, the pixels.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DecodeTarget } from './imageDecode';

const MAGIC = 'TSNASIMG';
export const CACHE_VERSION = 1;

/** One listed file as the key sees it: absolute path, size in bytes, modification time in ms. */
export type FileStamp = [string, number, number];

export interface CacheHeader {
  version: number;
  source: string;
  target: DecodeTarget;
  files: FileStamp[];
  /** Files that did not decode (their pixels are zero), with sharp's reason. */
  bad: Array<{ index: number; reason: string }>;
  /** How many images had the other kind of channels (colour made grey, or grey made colour). */
  converted: number;
}

export interface CachedImages {
  header: CacheHeader;
  pixels: Uint8Array;
}

/** Where caches go: cacheDir if given, else $TSNAS_CACHE_DIR, else $XDG_CACHE_HOME/tsnas, else ~/.cache/tsnas. */
export function imageCacheDir(cacheDir?: string): string {
  if (cacheDir) return cacheDir;
  if (process.env.TSNAS_CACHE_DIR) return process.env.TSNAS_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tsnas');
}

export function stampFiles(files: string[]): FileStamp[] {
  return files.map((f) => {
    const st = fs.statSync(f);
    return [f, st.size, Math.round(st.mtimeMs)];
  });
}

const hash = (v: unknown) => crypto.createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);

/** The cache file for a listing: <dir>/images/<source key>-<files key>.bin. */
export function cacheFileFor(dir: string, sourceRoot: string, target: DecodeTarget, stamps: FileStamp[]): string {
  const sourceKey = hash({ v: CACHE_VERSION, sourceRoot, target });
  return path.join(dir, 'images', `${sourceKey}-${hash(stamps)}.bin`);
}

/** Caches of the same source and target with other files (stale ones). */
export function staleCaches(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file).split('-')[0]}-`;
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => n.startsWith(prefix) && n.endsWith('.bin') && n !== path.basename(file))
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** Reads a cache file; null when it is missing, not a cache, or does not match the files. */
export function readImageCache(file: string, stamps: FileStamp[], perImage: number): CachedImages | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  const header = readHeader(buf);
  if (!header) return null;
  const { h, at } = header;
  if (h.version !== CACHE_VERSION || JSON.stringify(h.files) !== JSON.stringify(stamps)) return null;
  const pixels = new Uint8Array(buf.buffer, buf.byteOffset + at, buf.length - at);
  if (pixels.length !== stamps.length * perImage) return null;
  return { header: h, pixels };
}

/** Only the header of a cache file (for what changed since it was written). */
export function readCacheHeader(file: string): CacheHeader | null {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(12);
    if (fs.readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 8) !== MAGIC) return null;
    const len = head.readUInt32LE(8);
    const body = Buffer.alloc(len);
    if (fs.readSync(fd, body, 0, len, 12) !== len) return null;
    return JSON.parse(body.toString('utf8')) as CacheHeader;
  } catch {
    return null;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function readHeader(buf: Buffer): { h: CacheHeader; at: number } | null {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  const len = buf.readUInt32LE(8);
  if (buf.length < 12 + len) return null;
  try {
    return { h: JSON.parse(buf.toString('utf8', 12, 12 + len)) as CacheHeader, at: 12 + len };
  } catch {
    return null;
  }
}

/** Writes a cache file whole (a temporary file renamed into place: a reader never sees half of one). */
export function writeImageCache(file: string, header: CacheHeader, pixels: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 8);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, head);
    fs.writeSync(fd, json);
    for (let at = 0; at < pixels.length; at += 1 << 28)
      fs.writeSync(fd, pixels, at, Math.min(1 << 28, pixels.length - at));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** What changed between a stale cache's files and the files now, for the note that says why it decodes again. */
export function describeChanges(old: FileStamp[], now: FileStamp[]): string {
  const before = new Map(old.map(([f, size, t]) => [f, `${size}:${t}`]));
  const after = new Map(now.map(([f, size, t]) => [f, `${size}:${t}`]));
  let added = 0;
  let removed = 0;
  let modified = 0;
  let example = '';
  for (const [f, s] of after) {
    const b = before.get(f);
    if (b === undefined) {
      added++;
      example ||= `${f} added`;
    } else if (b !== s) {
      modified++;
      example ||= `${f} modified`;
    }
  }
  for (const f of before.keys()) {
    if (!after.has(f)) {
      removed++;
      example ||= `${f} removed`;
    }
  }
  const parts = [
    added ? `${added} file${added === 1 ? '' : 's'} added` : '',
    removed ? `${removed} removed` : '',
    modified ? `${modified} modified` : '',
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')}; e.g. ${example}` : 'the files are listed in another order';
}
