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
 * fails its test instead of stalling the suite.
 */
export function tsnasAsync(args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSNAS_BIN, ...args], {
      cwd: PACKAGE_ROOT,
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
