// A space's fingerprint: a hash of what decides its networks (the validated definition and the
// decisions it resolves to, without its description and named architectures). Keys of files
// that depend on the space (training checkpoints of its architectures) include it, so another
// space, or a space file edited since, never shares them.
import * as crypto from 'node:crypto';
import type { Space } from './types';

export function spaceFingerprint(space: Space): string {
  const { description: _d, architectures: _a, ...definition } = space.source as Record<string, unknown>;
  const dims = space.dims.map((d) => [d.key, d.values]);
  return crypto.createHash('sha1').update(JSON.stringify({ definition, dims })).digest('hex').slice(0, 16);
}
