// Command-line flags of the benchmark scripts: `--name value` pairs read from process.argv. A flag
// without a fallback is required, and its absence names the flag and the script.
import * as path from 'node:path';

/** The value after `--name`, else `fallback`; required when no fallback is given. */
export function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  if (fallback === undefined)
    throw new Error(
      `--${name} is required (usage at the top of bench/${path.basename(process.argv[1] ?? '?', '.js')}.ts)`,
    );
  return fallback;
}

/** A numeric flag; anything but a finite number is refused with the flag's name. */
export function num(name: string, fallback: number): number {
  const text = arg(name, String(fallback));
  const v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got '${text}'`);
  return v;
}
