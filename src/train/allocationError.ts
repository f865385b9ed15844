// When libtorch cannot allocate a network's memory, its allocator says how many bytes it tried and
// nothing else ("DefaultCPUAllocator: can't allocate memory: you tried to allocate 256000000000000
// bytes"). This turns that into the network's size, its largest layers and what to change.
import { costBreakdown } from '../cost/netCost';
import { decode } from '../space/decode';
import type { Arch, DecodeOptions, Space } from '../space/types';

const ALLOCATION = /can't allocate memory|not enough memory|out of memory|bad_alloc|Array buffer allocation failed/i;

/** Whether an error (or its message) is a failed memory allocation. */
export function isAllocationError(err: unknown): boolean {
  return ALLOCATION.test(err instanceof Error ? err.message : String(err));
}

const bytes = (n: number) =>
  n >= 1e12
    ? `${(n / 1e12).toFixed(1)} TB`
    : n >= 1e9
      ? `${(n / 1e9).toFixed(1)} GB`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(1)} MB`
        : `${(n / 1e3).toFixed(1)} kB`;
const count = (n: number) =>
  n >= 1e12
    ? `${(n / 1e12).toFixed(2)}T`
    : n >= 1e9
      ? `${(n / 1e9).toFixed(2)}G`
      : n >= 1e6
        ? `${(n / 1e6).toFixed(2)}M`
        : `${n}`;

/**
 * The message for an allocation that failed while building or training (space, arch) at the
 * decode options' input, with `batch` images per step: the network's parameters and MACs, its
 * largest layer by weights and by activations, the bytes libtorch asked for, and what to change.
 */
export function allocationErrorMessage(
  err: unknown,
  space: Space,
  arch: Arch,
  archText: string,
  decodeOpts: DecodeOptions,
  batch: number,
): string {
  const said = err instanceof Error ? err.message : String(err);
  const asked = /tried to allocate (\d+) bytes/.exec(said);
  const d = decode(space, arch, decodeOpts);
  const rows = costBreakdown(d);
  const params = rows.reduce((s, r) => s + r.params, 0);
  const macs = rows.reduce((s, r) => s + r.flops, 0);
  const byWeights = rows.reduce((a, b) => (b.params > a.params ? b : a));
  const act = (r: (typeof rows)[number]) => r.output[0] * r.output[1] * r.output[2];
  const byActivations = rows.reduce((a, b) => (act(b) > act(a) ? b : a));
  return (
    `the network is too large for this machine's memory: ${space.name} ${archText.length > 80 ? `${archText.slice(0, 77)}...` : archText} ` +
    `at input ${d.input.join('x')} has ${count(params)} parameters (${bytes(4 * params)} of float32 weights, about 4x that to train) ` +
    `and ${count(macs)} MACs per image; its largest layer by weights is ${byWeights.name} (${byWeights.op}, ${count(byWeights.params)} parameters), ` +
    `by activations ${byActivations.name} (${byActivations.output.join('x')} per image, ${bytes(4 * act(byActivations) * batch)} at batch ${batch}). ` +
    `libtorch could not allocate ${asked ? bytes(Number(asked[1])) : 'the memory it needed'}. ` +
    'Choose a smaller architecture or input (a space with fewer channels, a lower resolution), a smaller `batchSize`, or a machine with more memory. ' +
    `(libtorch: ${said.split('\n')[0]!.replace(/^.*?(DefaultCPUAllocator)/, '$1')})`
  );
}
