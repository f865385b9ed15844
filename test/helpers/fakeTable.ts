// A latency table of made-up timings (a deterministic function of each key), built by the real
// table builder with a target that times nothing: for tests of latency-aware search.
import { buildLatencyTable, latencyKey, type LatencyTable, type LatencyTarget, type Timing } from '../../src/latency';
import { hashString } from '../../src/random/seeds';
import type { Space } from '../../src/space/types';

/** A table of made-up timings (a deterministic function of the key), built by the real builder. */
export async function fakeLatencyTable(
  space: Space,
  input?: [number, number, number],
  overheadUs = 0,
): Promise<LatencyTable> {
  const target: LatencyTarget = {
    info: {
      name: 'fake',
      runtime: 'none',
      version: '0',
      threads: 1,
      batch: 1,
      settings: {},
      machine: { cpu: 'none', cores: 1, os: 'none' },
    },
    async measure(subject): Promise<Timing> {
      const us =
        subject.kind === 'op'
          ? 5 + (hashString(latencyKey(subject.spec)) % 200) + (hashString(latencyKey(subject.spec)) % 1000) / 1000
          : 1000;
      return { medianUs: us, p25Us: us, p75Us: us, runs: 1, samplesUs: [us] };
    },
  };
  const table = await buildLatencyTable(space, { target, input, warmup: 0, repeats: 1, rounds: 1, calibrate: 0 });
  return { ...table, overheadUs };
}
