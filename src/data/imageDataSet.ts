// Image files as a data set: images:DIR (a folder per class) and manifest:FILE (.csv or .jsonl),
// with options after a '?': images:DIR?resize=squash&testFraction=0.2&splitSeed=0&skipBadImages.
// The files are listed, decoded once to the network's input (channels and size) by a decoding
// process into a cache file, and read from that cache on every later load; the mean and std are
// measured on the training split.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DecodeJob, DecodeResult } from './decodeImagesMain';
import {
  cacheFileFor,
  describeChanges,
  imageCacheDir,
  readCacheHeader,
  readImageCache,
  stampFiles,
  staleCaches,
} from './imageCache';
import { RESIZE_MODES, type DecodeTarget, type ResizeMode } from './imageDecode';
import { listImageFolder } from './imageFolder';
import { resolveTestSplit, type ImageEntry, type ImageListing } from './imageListing';
import { listManifest } from './imageManifest';
import { channelStats, type DataSource, type ImageSet } from './imageSet';

export interface ImageSetOptions {
  resize: ResizeMode;
  /** Fraction of each class held out as the test split when none is given. */
  testFraction: number;
  splitSeed: number;
  /** Leave out (and list) images that do not decode or manifest lines naming missing files. */
  skipBadImages: boolean;
}

export const IMAGE_SET_OPTIONS: Record<keyof ImageSetOptions, string> = {
  resize: `crop (the shorter side to the input size, the centre cut out; the default) or squash (both sides to it)`,
  testFraction: 'the share of each class held out as the test split when the data set gives none (default 0.2)',
  splitSeed: 'the seed of that held-out split (default 0)',
  skipBadImages: 'leave out images that do not decode and list them (default: stop at the first, naming it)',
};

export interface ImageLoadSettings {
  /** The network's input CxHxW: the images are decoded to it. */
  input: readonly [number, number, number];
  /** Folder of the cache (default: $TSNAS_CACHE_DIR, $XDG_CACHE_HOME/tsnas or ~/.cache/tsnas). */
  cacheDir?: string;
}

/** Images decoded by this process's decoding runs (a test's count of work done; cached loads add nothing). */
let decodedInProcess = 0;
export function imagesDecoded(): number {
  return decodedInProcess;
}

/** Parses 'DIR?key=value&flag' into the location and the options. */
export function parseImageSpec(
  kind: string,
  arg: string,
  spec: string,
): { location: string; options: ImageSetOptions } {
  const q = arg.lastIndexOf('?');
  const location = q < 0 ? arg : arg.slice(0, q);
  const options: ImageSetOptions = { resize: 'crop', testFraction: 0.2, splitSeed: 0, skipBadImages: false };
  if (!location) {
    throw new Error(
      kind === 'images'
        ? `data set '${spec}': name the folder, images:DIR (a subfolder per class)`
        : `data set '${spec}': name the manifest, manifest:FILE.csv or manifest:FILE.jsonl`,
    );
  }
  const bad = (key: string, why: string) => new Error(`data set '${spec}': option ${key} ${why}`);
  for (const part of q < 0 ? [] : arg.slice(q + 1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? null : part.slice(eq + 1);
    switch (key) {
      case 'resize':
        if (!RESIZE_MODES.includes(value as ResizeMode)) throw bad(key, `must be crop or squash, got '${value}'`);
        options.resize = value as ResizeMode;
        break;
      case 'testFraction': {
        const v = Number(value);
        if (value === null || !(v > 0 && v < 1)) throw bad(key, `must be a number between 0 and 1, got '${value}'`);
        options.testFraction = v;
        break;
      }
      case 'splitSeed': {
        const v = Number(value);
        if (value === null || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
          throw bad(key, `must be an integer from 0 to 4294967295, got '${value}'`);
        options.splitSeed = v;
        break;
      }
      case 'skipBadImages':
        if (value !== null && value !== 'true' && value !== 'false') throw bad(key, `is true or false, got '${value}'`);
        options.skipBadImages = value !== 'false';
        break;
      default:
        throw new Error(
          `data set '${spec}': unknown option '${key}' (options: ${Object.entries(IMAGE_SET_OPTIONS)
            .map(([k, v]) => `${k}: ${v}`)
            .join('; ')})`,
        );
    }
  }
  return { location, options };
}

/** Loads images:DIR or manifest:FILE decoded to settings.input. */
export function loadImageDataSet(
  kind: 'images' | 'manifest',
  arg: string,
  spec: string,
  settings: ImageLoadSettings,
): DataSource {
  const { location, options } = parseImageSpec(kind, arg, spec);
  const [channels, height, width] = settings.input;
  if (channels !== 1 && channels !== 3) {
    throw new Error(
      `data set '${spec}': the network's input has ${channels} channels (input ${settings.input.join('x')}); images decode to 1 (grey) or 3 (colour)`,
    );
  }
  const target: DecodeTarget = { channels, height, width, resize: options.resize };
  const listing =
    kind === 'images' ? listImageFolder(location, spec) : listManifest(location, spec, options.skipBadImages);
  const split = resolveTestSplit(listing, options.testFraction, options.splitSeed);
  // Decoded in listing order, every file once (the split does not change what is cached).
  const all = [...listing.train, ...listing.val, ...listing.test];
  const files = [...new Set(all.map((e) => e.file))];
  const where = new Map(all.map((e) => [e.file, e.where]));
  const stamps = stampFiles(files);
  const notes = [...listing.notes];
  const cacheDir = imageCacheDir(settings.cacheDir);
  const sourceRoot = path.resolve(location);
  let cacheFile: string | null = cacheFileFor(cacheDir, sourceRoot, target, stamps);
  const per = channels * height * width;
  let cached = readImageCache(cacheFile, stamps, per);
  let decoded = 0;
  if (!cached) {
    const stale = staleCaches(cacheFile);
    for (const s of stale) {
      const h = readCacheHeader(s);
      if (h)
        notes.push(
          `${spec}: the files changed since they were decoded (${describeChanges(h.files, stamps)}): decoded again`,
        );
    }
    const writable = canCreate(path.dirname(cacheFile));
    const out = writable ? cacheFile : path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsnas-images-')), 'images.bin');
    if (!writable) {
      notes.push(
        `${spec}: the cache folder ${path.dirname(cacheFile)} is not writable: decoded images are not kept for the next run`,
      );
    }
    runDecoder({
      source: spec,
      target,
      files: stamps,
      where: files.map((f) => where.get(f)!),
      skipBad: options.skipBadImages,
      out,
      progressFrom: 500,
    });
    decoded = files.length;
    decodedInProcess += files.length;
    cached = readImageCache(out, stamps, per);
    if (!writable) {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      cacheFile = null;
    } else for (const s of stale) fs.rmSync(s, { force: true });
    if (!cached)
      throw new Error(`${spec}: the decoded images in ${out} do not read back; remove the file and load again`);
  }
  const { header, pixels } = cached;
  const skipped = [...listing.skipped];
  const badFiles = new Set<string>();
  for (const b of header.bad) {
    const file = files[b.index]!;
    badFiles.add(file);
    skipped.push({ file, reason: `${where.get(file)}: cannot decode the image (${b.reason})` });
  }
  if (badFiles.size && !options.skipBadImages) {
    // A cache written with skipBadImages: without it, a file that does not decode is still an error.
    throw new Error(
      `${skipped.find((s) => badFiles.has(s.file))!.reason}; fix or remove the file, or skip bad images (skipBadImages)`,
    );
  }
  if (skipped.length) {
    notes.push(
      `${spec}: ${skipped.length} image${skipped.length === 1 ? '' : 's'} left out (skipBadImages): ${skipped
        .slice(0, 3)
        .map((s) => s.reason)
        .join('; ')}${skipped.length > 3 ? '; ...' : ''}`,
    );
  }
  if (header.converted) {
    notes.push(
      `${spec}: ${header.converted} of ${files.length} images converted to ${channels === 1 ? 'grey' : 'colour'} for the network's ${channels}-channel input`,
    );
  }
  notes.push(`${spec}: ${split.how}`);
  const index = new Map(files.map((f, i) => [f, i]));
  const toSet = (entries: ImageEntry[], name: string): ImageSet => {
    const kept = entries.filter((e) => !badFiles.has(e.file));
    const images = new Uint8Array(kept.length * per);
    const labels = new Uint8Array(kept.length);
    kept.forEach((e, k) => {
      const i = index.get(e.file)!;
      images.set(pixels.subarray(i * per, (i + 1) * per), k * per);
      labels[k] = e.label;
    });
    return { name, images, labels, count: kept.length, channels, height, width, classes: listing.classNames.length };
  };
  const train = toSet(split.train, `${spec}/train`);
  const test = toSet(split.test, `${spec}/test`);
  checkAfterSkipping(listing, train, test, skipped.length > 0);
  return {
    spec,
    kind,
    train,
    test,
    ...channelStats(train),
    flipByDefault: true,
    defaultCrop: 'random-resized',
    classNames: listing.classNames,
    resize: options.resize,
    notes,
    imageFiles: { decoded, cacheFile, skipped },
  };
}

/** Skipping bad images can empty a class in a split: say which. */
function checkAfterSkipping(l: ImageListing, train: ImageSet, test: ImageSet, skipped: boolean): void {
  if (!skipped) return;
  for (const [set, from] of [
    [train, l.trainFrom],
    [test, l.testFrom],
  ] as const) {
    const counts = new Array<number>(l.classNames.length).fill(0);
    for (const y of set.labels) counts[y]!++;
    const empty = l.classNames.filter((_, c) => counts[c] === 0);
    if (empty.length)
      throw new Error(
        `${l.source}: with the bad images left out, class${empty.length === 1 ? '' : 'es'} ${empty.map((c) => `'${c}'`).join(', ')} ${empty.length === 1 ? 'has' : 'have'} no images in ${from}`,
      );
  }
}

/** Runs the decoding process and waits for it; its error names the file. */
function runDecoder(job: DecodeJob): void {
  const main = path.join(__dirname, 'decodeImagesMain.js');
  const r = spawnSync(process.execPath, [main], {
    input: JSON.stringify(job),
    stdio: ['pipe', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  if (r.error)
    throw new Error(`${job.source}: the image decoding process did not run (${r.error.message})`, { cause: r.error });
  let result: DecodeResult;
  try {
    result = JSON.parse(r.stdout) as DecodeResult;
  } catch {
    throw new Error(
      `${job.source}: the image decoding process ended without a result (exit ${r.status ?? r.signal}); its output: ${r.stdout.slice(0, 300)}`,
    );
  }
  if (!result.ok) {
    throw new Error(
      result.error.includes('cannot decode the image')
        ? `${result.error}; fix or remove the file, or skip bad images (skipBadImages)`
        : `${job.source}: ${result.error}`,
    );
  }
}

/** Whether a folder exists writable, or could be made (its nearest existing ancestor is writable); makes nothing. */
function canCreate(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const st = fs.statSync(d);
      if (!st.isDirectory()) return false;
      fs.accessSync(d, fs.constants.W_OK);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) return false;
    }
  }
}
