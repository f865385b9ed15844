// A `tsnas worker` process on a study, as the many-workers tests start them: its exit and its
// stderr (where a worker logs) kept for the assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { PACKAGE_ROOT, TSNAS_BIN } from './tsnasCli';

export interface WorkerProcess {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr: () => string;
}

/** `tsnas worker STUDY --store LOCATION --threads 1`, in `cwd` (the package root) with `env`. */
export function startWorker(
  study: string,
  location: string,
  o: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): WorkerProcess {
  const child = spawn(process.execPath, [TSNAS_BIN, 'worker', study, '--store', location, '--threads', '1'], {
    cwd: o.cwd ?? PACKAGE_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: o.env ?? process.env,
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exit, stderr: () => err };
}
