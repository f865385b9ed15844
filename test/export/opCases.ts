// The op cases the export tests cover: every op type of the registry and every variant its
// exporter distinguishes (e = 1 with and without the first conv, groups, SE, each activation,
// stride 2, a skip that is a conv, a linear without bias).
import type { OpSpec } from '../../src/latency/target';

/** Op specs covering every op type and every variant its exporter distinguishes. */
export const OP_CASES: OpSpec[] = [
  { op: 'ir_k3_e6', input: [16, 8, 8], cin: 16, cout: 16, stride: 1 },
  { op: 'ir_k5_e3', input: [16, 8, 8], cin: 16, cout: 24, stride: 2 },
  { op: 'ir_k3_e1', input: [16, 8, 8], cin: 16, cout: 16, stride: 1, e1FirstConv: 'drop' },
  { op: 'ir_k3_e1', input: [16, 8, 8], cin: 16, cout: 16, stride: 1, e1FirstConv: 'keep' },
  { op: 'ir_k5_e1_g2', input: [16, 8, 8], cin: 16, cout: 16, stride: 1, e1FirstConv: 'keep' },
  { op: 'ir_k3_e4_se_hs', input: [16, 8, 8], cin: 16, cout: 16, stride: 1 },
  { op: 'ir_k5_e4_se_sw', input: [16, 8, 8], cin: 16, cout: 32, stride: 2 },
  { op: 'ir_k3_e3_r6', input: [8, 9, 9], cin: 8, cout: 8, stride: 2 },
  { op: 'skip', input: [16, 8, 8], cin: 16, cout: 16, stride: 1 },
  { op: 'skip', input: [16, 8, 8], cin: 16, cout: 24, stride: 2 },
  { op: 'conv_k3', input: [3, 16, 16], cin: 3, cout: 16, stride: 2 },
  { op: 'conv_k1_hs', input: [16, 4, 4], cin: 16, cout: 32, stride: 1 },
  { op: 'conv_k3_r6', input: [3, 8, 8], cin: 3, cout: 8, stride: 1 },
  { op: 'conv_k3_sw', input: [3, 8, 8], cin: 3, cout: 8, stride: 1 },
  { op: 'mbpool_e6_hs', input: [16, 4, 4], cin: 16, cout: 64, stride: 1 },
  { op: 'pool', input: [32, 4, 4], cin: 32, cout: 32, stride: 1 },
  { op: 'linear', input: [32, 1, 1], cin: 32, cout: 10, stride: 1, bias: true },
  { op: 'linear', input: [32, 1, 1], cin: 32, cout: 10, stride: 1, bias: false },
  // Multi-branch layers: branches summed (an identity skip among them; a strided, widening set).
  { op: 'ir_k3_e3+skip', input: [16, 8, 8], cin: 16, cout: 16, stride: 1 },
  { op: 'ir_k3_e6_se+ir_k5_e1+skip', input: [16, 8, 8], cin: 16, cout: 24, stride: 2, e1FirstConv: 'drop' },
];
