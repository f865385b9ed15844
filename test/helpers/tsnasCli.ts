// Runs the command line as a user would: `node bin/tsnas.js ARGS` in a child process, from the
// package root. One helper for every CLI test (waiting, concurrent, or started to be killed).
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import * as path from 'node:path';
import type { Readable } from 'node:stream';

/** The package root (tests run from dist/test/...). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');
export const TSNAS_BIN = path.join(PACKAGE_ROOT, 'bin', 'tsnas.js');

export interface CliRun {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout's last line: where --json prints the result. */
  last: string;
}

const lastLine = (stdout: string) => stdout.trim().split('\n').at(-1) ?? '';

/** Runs tsnas and waits for it. */
export function tsnas(args: readonly string[]): CliRun {
  const r = spawnSync(process.execPath, [TSNAS_BIN, ...args], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, last: lastLine(r.stdout) };
}

/**
 * Runs tsnas without blocking, so independent calls run concurrently (each start loads libtorch,
 * ~0.7 s). `input` goes to its stdin; after `timeoutMs` it is killed (code null), so a hung command
 * fails its test instead of stalling the suite. `cwd`: where it runs (default the package root); `env`:
 * variables over this process's.
 */
export function tsnasAsync(
  args: readonly string[],
  o: { input?: string; timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSNAS_BIN, ...args], {
      cwd: o.cwd ?? PACKAGE_ROOT,
      env: o.env ? { ...process.env, ...o.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: o.timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, last: lastLine(stdout) }));
    child.stdin.end(o.input ?? '');
  });
}

/** Starts tsnas in the background (stderr piped, to read progress), for tests that kill it. */
export function spawnTsnas(args: readonly string[]): ChildProcessByStdio<null, null, Readable> {
  return spawn(process.execPath, [TSNAS_BIN, ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Runs the command line in this process, as bin/tsnas.js would in its own (fast: no start-up, the
 * engine and modules loaded once): the exit code a process would end with (commander's for a flag
 * error, 1 with "tsnas: <message>" for a command's error, process.exitCode otherwise) and what it
 * wrote to stdout and stderr. `cwd` is the working directory while it runs (default the package
 * root). Calls must not overlap (they share the process's working directory and streams).
 */
export async function tsnasInProcess(args: readonly string[], o: { cwd?: string } = {}): Promise<CliRun> {
  const { buildProgram } = await import('../../src/cli/main');
  const { cliErrorText } = await import('../../src/cli/errorText');
  const { CommanderError } = await import('commander');
  type Cmd = ReturnType<typeof buildProgram>;
  let stdout = '';
  let stderr = '';
  const program = buildProgram();
  const capture = (c: Cmd) => {
    c.exitOverride();
    c.configureOutput({
      writeOut: (t) => {
        stdout += t;
      },
      writeErr: (t) => {
        stderr += t;
      },
      outputError: (t, write) => write(t),
    });
    c.commands.forEach(capture);
  };
  capture(program);
  const saved = {
    cwd: process.cwd(),
    exitCode: process.exitCode,
    out: process.stdout.write,
    err: process.stderr.write,
  };
  // Under `node --test`, a test file's process reports its results to the runner through stdout
  // as serialized binary messages, and may do so while a command runs here: those pass through
  // (captured, a test's report was lost and the summary counted one test fewer). The command's
  // own output is text.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string')
      return (saved.out as (c: Uint8Array, ...r: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code: number;
  try {
    process.chdir(o.cwd ?? PACKAGE_ROOT);
    await program.parseAsync(['node', 'tsnas', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode;
    else {
      stderr += `tsnas: ${cliErrorText(err, program)}\n`;
      code = 1;
    }
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
    process.chdir(saved.cwd);
  }
  return { code, stdout, stderr, last: lastLine(stdout) };
}
