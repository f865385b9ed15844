// Writing the files commands produce (reports, latency tables, results): the directory is made
// when missing, a regular file is replaced atomically (a temp file beside it, then a rename), and
// every failure names the file, says what went wrong in words, and what to do, instead of Node's
// "ENOSPC: no space left on device, write", which names no file.
import * as fs from 'node:fs';
import * as path from 'node:path';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EIO: 'an I/O error (a failing disk, or a network filesystem that went away)',
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of its path is a file, not a directory',
  ENAMETOOLONG: 'the name is too long',
};

/** An error about writing `file`, in words; `what` names the file's role ('report', 'latency table'). */
export function outputFileError(
  file: string,
  what: string,
  err: unknown,
  fix = 'give another path (-o/--out FILE)',
): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const reason = (code && REASONS[code]) ?? (err as Error)?.message ?? String(err);
  const todo = code === 'ENOSPC' || code === 'EDQUOT' ? `free some space, or ${fix}` : fix;
  return new Error(`cannot write the ${what} ${file}: ${reason}${code ? ` (${code})` : ''}; ${todo}`, { cause: err });
}

/** Writes a command's output file, creating its directory; errors name the file (outputFileError). */
export function writeOutputFile(file: string, data: string | Uint8Array, what: string, fix?: string): void {
  try {
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    } catch (err) {
      // mkdir -p through a file says EEXIST: the path's problem is that a part of it is a file.
      throw (err as NodeJS.ErrnoException).code === 'EEXIST'
        ? Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
        : err;
    }
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
 * Checks before a long computation that its output file can be written: the nearest existing
 * directory on its path must be a writable directory, and the file itself not a directory.
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
    let dir = path.dirname(abs);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw outputFileError(file, what, err, fix);
  }
}
