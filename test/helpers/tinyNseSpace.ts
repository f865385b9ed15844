// A tiny multi-branch space for the NSE tests (and NSE under many workers): 1x16x16 input, two
// searchable layers of four candidates, up to two branches each, so a round takes a moment.
export const TINY_NSE = `
style: layerwise
name: tiny-nse
input: 1x16x16
classes: 10
e1FirstConv: drop
branches: 2
stem: { op: conv_k3, channels: 8, stride: 2 }
candidates: [ir_k3_e1, ir_k3_e3, ir_k5_e1, skip]
stages:
  - { channels: 8, repeats: 1, stride: 1 }
  - { channels: 16, repeats: 1, stride: 2 }
head: { op: conv_k1, channels: 32 }
`;
