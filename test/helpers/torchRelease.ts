// Seeded random draws (rand, randn, dropout masks, Gumbel noise) are the generator's: they equal
// the fixtures' only when libtorch is the release that wrote them (Debian's python3-torch and the
// addon share one libtorch). Other releases may draw differently; tests then check what is defined
// everywhere (reproducible for a seed, the right support and statistics).
import { runtimeInfo } from '../../src/engine/runtime';

const release = (version: string) => /^(\d+\.\d+)/.exec(version)?.[1] ?? version;

/** The running libtorch's version. */
export const torchVersion = (): string => runtimeInfo().torchVersion;

/** True when the running libtorch is the fixture's release (same major.minor). */
export function sameTorchRelease(fixtureTorch: string): boolean {
  return release(torchVersion()) === release(fixtureTorch);
}
