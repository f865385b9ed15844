// The directories commands write into (an output file's folder, a run directory, a study's
// directory): each missing one is made by itself, one level at a time from the nearest one that
// exists, and checked, so that a path that cannot hold a directory fails at once with the path and
// the reason. Node's own `mkdirSync(dir, { recursive: true })` loops forever where mkdir answers
// ENOENT under a directory that exists (/proc/nonexist: a virtual filesystem), at 100% CPU.
// The error wording of every output file (outputFileError) lives here too.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** More levels than any real path has: a bound on the walk, whatever the filesystem answers. */
export const MAX_DIR_LEVELS = 512;

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
  ELOOP: 'too many symbolic links on its path',
};

/** A directory that could not be made, in words that name it (the reason is the message). */
export class OutputDirError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'OutputDirError';
  }
}

const codeOf = (err: unknown) => (err as NodeJS.ErrnoException)?.code;

/** An error about writing `file`, in words; `what` names the file's role ('report', 'latency table'). */
export function outputFileError(
  file: string,
  what: string,
  err: unknown,
  fix = 'give another path (-o/--out FILE)',
): Error {
  const code = codeOf(err);
  const reason =
    err instanceof OutputDirError ? err.message : ((code && REASONS[code]) ?? (err as Error)?.message ?? String(err));
  const todo = code === 'ENOSPC' || code === 'EDQUOT' ? `free some space, or ${fix}` : fix;
  return new Error(`cannot write the ${what} ${file}: ${reason}${code ? ` (${code})` : ''}; ${todo}`, { cause: err });
}

const reasonOf = (err: unknown) => {
  const code = codeOf(err);
  return (code && REASONS[code]) ?? (err as Error)?.message ?? String(err);
};

/** Stat that says null for a missing path; a file on the way (ENOTDIR) and the rest throw. */
function statOrNull(p: string): fs.Stats | null {
  return fs.statSync(p, { throwIfNoEntry: false }) ?? null;
}

/**
 * The directories of `dir` that do not exist, the outermost first, and the nearest that does.
 * Throws an OutputDirError when that nearest one is not a directory.
 */
function missingDirs(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let p = path.resolve(dir);
  for (let level = 0; level < MAX_DIR_LEVELS; level++) {
    let st: fs.Stats | null;
    try {
      st = statOrNull(p);
    } catch (err) {
      if (codeOf(err) === 'ENOTDIR') {
        // A part above p is a file: keep walking up to name it.
        missing.unshift(p);
        p = path.dirname(p);
        continue;
      }
      throw new OutputDirError(`cannot look at ${p}: ${reasonOf(err)}`, codeOf(err), { cause: err });
    }
    if (st) {
      if (!st.isDirectory()) throw new OutputDirError(`${REASONS.ENOTDIR}: ${p}`, 'ENOTDIR');
      return { existing: p, missing };
    }
    missing.unshift(p);
    const up = path.dirname(p);
    if (up === p) break;
    p = up;
  }
  throw new OutputDirError(`${path.resolve(dir)} has more than ${MAX_DIR_LEVELS} levels`, 'ENAMETOOLONG');
}

/** Why mkdir of `d` failed, in words that name it and its parent. */
function mkdirFailure(d: string, err: unknown): OutputDirError {
  const code = codeOf(err);
  const parent = path.dirname(d);
  // ENOENT with the parent there (just made or checked): the filesystem does not take directories.
  const reason =
    code === 'ENOENT'
      ? `the filesystem of ${parent} does not allow new directories (mkdir says 'no such file or directory' though ${parent} exists: a virtual filesystem such as /proc or /sys)`
      : reasonOf(err);
  return new OutputDirError(`cannot create the directory ${d}: ${reason}`, code, { cause: err });
}

/**
 * Makes `dir` and every missing directory above it, one at a time, checking each (a bounded walk:
 * it never loops). Throws an OutputDirError naming the directory that could not be made and why;
 * wrap it with outputFileError (or use ensureOutputDir) to name the file it was for.
 */
export function makeDirs(dir: string): void {
  const { missing } = missingDirs(dir);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      // Made meanwhile by another process: fine when it is a directory.
      if (codeOf(err) !== 'EEXIST') throw mkdirFailure(d, err);
    }
    let st: fs.Stats | null;
    try {
      st = statOrNull(d);
    } catch (err) {
      throw mkdirFailure(d, err);
    }
    if (!st)
      throw new OutputDirError(
        `cannot create the directory ${d}: mkdir succeeded but it is not there (a virtual filesystem such as /proc or /sys?)`,
        'ENOENT',
      );
    if (!st.isDirectory()) throw new OutputDirError(`${REASONS.ENOTDIR}: ${d}`, 'ENOTDIR');
  }
}

/** makeDirs with errors that name what the directory is for ('run directory', 'checkpoint'). */
export function ensureOutputDir(dir: string, what: string, fix?: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    throw outputFileError(dir, what, err, fix);
  }
}

/**
 * Checks, before a long computation, that `dir` can be made or written into, changing nothing on
 * disk: in the nearest directory that exists, a probe (a directory where directories are to be
 * made, else a file) is created and removed at once.
 */
export function probeDir(dir: string): void {
  const { existing, missing } = missingDirs(dir);
  const probe = path.join(existing, `.tsnas-probe-${process.pid}`);
  try {
    if (missing.length) {
      fs.mkdirSync(probe);
      fs.rmdirSync(probe);
    } else {
      fs.closeSync(fs.openSync(probe, 'wx'));
      fs.unlinkSync(probe);
    }
  } catch (err) {
    if (missing.length) throw mkdirFailure(missing[0]!, err);
    const reason =
      codeOf(err) === 'ENOENT'
        ? `the filesystem of ${existing} does not allow new files (creating one says 'no such file or directory' though ${existing} exists: a virtual filesystem such as /proc or /sys)`
        : reasonOf(err);
    throw new OutputDirError(`cannot write into ${existing}: ${reason}`, codeOf(err), { cause: err });
  }
}

/** probeDir with errors that name what the directory is for: run it before the work. */
export function checkOutputDir(dir: string, what: string, fix?: string): void {
  try {
    probeDir(dir);
  } catch (err) {
    throw outputFileError(dir, what, err, fix);
  }
}
