// The machine description recorded in a latency table: CPU model, cores, OS, host name.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { MachineInfo } from './target';

/** The CPU model from /proc/cpuinfo ('model name'), falling back to os.cpus(). */
export function cpuModel(): string {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(text) ?? /^Hardware\s*:\s*(.+)$/m.exec(text);
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model?.trim() || 'unknown';
}

export function machineInfo(o: { hostname?: boolean } = {}): MachineInfo {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const info: MachineInfo = { cpu: cpuModel(), cores, os: `${os.platform()} ${os.arch()}` };
  if (o.hostname ?? true) info.hostname = os.hostname();
  return info;
}
