// The colour encoding of the benches' accuracy-latency charts: one nominal scale on the field
// `kind` for every layer (the SVG renderer draws one legend well, not one per layer), with labels
// long enough for an architecture's description.

export function kindColor(domain: readonly string[], range?: readonly string[]): Record<string, unknown> {
  return {
    field: 'kind',
    type: 'nominal',
    title: null,
    legend: { labelLimit: 320 },
    scale: { domain: [...domain], ...(range ? { range: [...range] } : {}) },
  };
}
