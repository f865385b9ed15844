// Runs two commands (tsnas and a PyTorch reference) alternately for several rounds, each in a
// fresh process, and reports the median of a throughput field for each and their ratio. The
// side that goes first alternates, so drift in machine load favours neither.
import { execFileSync } from 'node:child_process';
import { upperMedian } from '../src/stats';

export interface Side {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
}

export function lastJsonLine(out: string): Record<string, number> {
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
}

export function runAlternately(a: Side, b: Side, rounds: number, field: string): void {
  const results = new Map<string, Array<Record<string, number>>>([
    [a.name, []],
    [b.name, []],
  ]);
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? [a, b] : [b, a]) {
      const res = lastJsonLine(execFileSync(side.command, side.args, { encoding: 'utf8', cwd: side.cwd }));
      results.get(side.name)!.push(res);
      process.stderr.write(
        `round ${r + 1}/${rounds} ${side.name.padEnd(8)} ${res[field]!.toFixed(1)} ${field} ${JSON.stringify(res)}\n`,
      );
    }
  }
  const ra = results.get(a.name)!.map((x) => x[field]!);
  const rb = results.get(b.name)!.map((x) => x[field]!);
  const perRound = ra.map((v, i) => v / rb[i]!);
  const ma = upperMedian(ra);
  const mb = upperMedian(rb);
  console.log(
    `median ${field}: ${a.name} ${ma.toFixed(1)}, ${b.name} ${mb.toFixed(1)}; ratio of medians ${(ma / mb).toFixed(3)}; median per-round ratio ${upperMedian(perRound).toFixed(3)}`,
  );
  console.log(JSON.stringify({ [a.name]: ma, [b.name]: mb, ratio: ma / mb, perRoundRatios: perRound, rounds, field }));
}
