// The decoding process: `node decodeImagesMain.js` with a DecodeJob as JSON on stdin decodes every
// file (as many at once as there are cores), writes the cache file (imageCache.ts) and prints a
// DecodeResult as JSON on stdout; progress goes to stderr, at most once a second. It is a process
// of its own because sharp decodes asynchronously while data sets load synchronously
// (loadDataSource): the caller waits for it (spawnSync) and reads the cache it wrote.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { CACHE_VERSION, writeImageCache, type CacheHeader, type FileStamp } from './imageCache';
import { decodeImage, loadSharp, type DecodeTarget } from './imageDecode';

export interface DecodeJob {
  source: string;
  target: DecodeTarget;
  files: FileStamp[];
  /** Where each file was listed, for messages (the file, or the manifest line). */
  where: string[];
  /** Record files that do not decode and go on (skipBadImages), else stop at the first. */
  skipBad: boolean;
  out: string;
  /** Show progress from this many files on. */
  progressFrom: number;
}

export type DecodeResult =
  { ok: true; decoded: number; bad: CacheHeader['bad']; converted: number } | { ok: false; error: string };

async function run(job: DecodeJob): Promise<DecodeResult> {
  loadSharp();
  const { target, files } = job;
  const per = target.channels * target.height * target.width;
  const pixels = new Uint8Array(files.length * per);
  const bad: CacheHeader['bad'] = [];
  let converted = 0;
  let next = 0;
  let done = 0;
  let failed: string | null = null;
  const t0 = Date.now();
  let shown = t0;
  const show = (last: boolean) => {
    const now = Date.now();
    if (files.length < job.progressFrom || (!last && now - shown < 1000)) return;
    shown = now;
    const rate = done / Math.max(1e-3, (now - t0) / 1000);
    const line = `decoding ${job.source}: ${done}/${files.length} images (${Math.floor((100 * done) / files.length)}%), ${rate.toFixed(0)}/s`;
    fs.writeSync(2, process.stderr.isTTY ? `\r${line}${last ? '\n' : ''}` : `${line}\n`);
  };
  const worker = async () => {
    while (failed === null && next < files.length) {
      const i = next++;
      try {
        const img = await decodeImage(files[i]![0], target);
        pixels.set(img.pixels, i * per);
        if (img.converted) converted++;
      } catch (e) {
        const reason = (e as Error).message.split('\n')[0]!;
        if (!job.skipBad) failed ??= `${job.where[i]}: cannot decode the image (${reason})`;
        else bad.push({ index: i, reason });
      }
      done++;
      show(false);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(os.availableParallelism(), 8)) }, worker));
  if (failed !== null) return { ok: false, error: failed };
  show(true);
  bad.sort((a, b) => a.index - b.index);
  writeImageCache(job.out, { version: CACHE_VERSION, source: job.source, target, files, bad, converted }, pixels);
  return { ok: true, decoded: files.length, bad, converted };
}

if (require.main === module) {
  const job = JSON.parse(fs.readFileSync(0, 'utf8')) as DecodeJob;
  run(job).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
    },
    (e: unknown) => {
      process.stdout.write(JSON.stringify({ ok: false, error: (e as Error).message } satisfies DecodeResult));
    },
  );
}
