// The architecture as a chart's hover text shows it: whole up to a length a tooltip can hold.

const MAX = 300;

export function hoverArch(arch: string): string {
  return arch.length > MAX ? `${arch.slice(0, MAX)}…` : arch;
}
