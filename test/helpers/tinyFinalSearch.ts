// The command line of a small study with a final training, shared by the final-training tests:
// `tsnas search random` over a tiny space file on synthetic data (2 trials of 1 epoch on 200
// images, 1 thread), then the final training of the result and the space's `tiny-base` on 300
// images, printing the JSON. `extra` flags come last (--final-seeds, --seed, --teacher, ...).
export interface TinyFinalSearch {
  spaceFile: string;
  db: string;
  study: string;
  /** Final epochs (default 1). */
  finalEpochs?: number;
  /** A latency table of the space, when the test needs latencies. */
  lut?: string;
  extra?: readonly string[];
}

export function tinyFinalSearch(o: TinyFinalSearch): string[] {
  return [
    'search',
    'random',
    '--space',
    o.spaceFile,
    '--data',
    'synthetic:0',
    '--trials',
    '2',
    '--epochs',
    '1',
    '--limit-train',
    '200',
    '--threads',
    '1',
    ...(o.lut ? ['--lut', o.lut] : []),
    '--final-epochs',
    String(o.finalEpochs ?? 1),
    '--final-limit-train',
    '300',
    '--reference',
    'tiny-base',
    '--study',
    o.study,
    '--store',
    o.db,
    '--json',
    ...(o.extra ?? []),
  ];
}
