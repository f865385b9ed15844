// Writing the files commands produce (reports, latency tables, results): the directory is made
// when missing (makeDirs: one level at a time, each checked, never a loop), a regular file is
// replaced atomically (a temp file beside it, then a rename), and every failure names the file,
// says what went wrong in words, and what to do, instead of Node's "ENOSPC: no space left on
// device, write", which names no file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDirs, outputFileError, probeDir } from './outputPath';

export { outputFileError } from './outputPath';

/** Writes a command's output file, creating its directory; errors name the file (outputFileError). */
export function writeOutputFile(file: string, data: string | Uint8Array, what: string, fix?: string): void {
  try {
    makeDirs(path.dirname(path.resolve(file)));
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (stat && !stat.isFile()) {
      // A device or a pipe (/dev/stdout): written in place, nothing to rename over.
      fs.writeFileSync(file, data);
      return;
    }
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  } catch (err) {
    throw outputFileError(file, what, err, fix);
  }
}

/**
 * Checks before a long computation that its output file can be written, changing nothing on disk:
 * the file must not be a directory (a device or a pipe must be writable), and its directory must
 * be one that can be made or written into (probeDir: a probe made and removed in the nearest
 * directory that exists, so that /proc, /sys or a read-only mount fail here, not after the work).
 */
export function checkOutputPath(file: string, what: string, fix?: string): void {
  const abs = path.resolve(file);
  try {
    const stat = fs.statSync(abs, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (stat && !stat.isFile()) {
      // A device or a pipe is written in place: it must be writable itself.
      fs.accessSync(abs, fs.constants.W_OK);
      return;
    }
    probeDir(path.dirname(abs));
  } catch (err) {
    throw outputFileError(file, what, err, fix);
  }
}
