// A tiny layer-wise space for the supernet and FBNet tests: 1x16x16 input, stem stride 2 (8x8
// maps), three searchable layers with three candidates each (one of them a skip that needs a 1x1
// conv, one an identity skip) and one fixed layer, so a search epoch takes a fraction of a second.
import { spaceFromText } from '../../src/space/loadSpace';
import { loadDataSource } from '../../src/data/dataSource';
import type { Space } from '../../src/space/types';
import type { DataSource } from '../../src/data/imageSet';

export const TINY_SPACE_YAML = `
style: layerwise
name: tiny-fbnet
description: tiny FBNet-style space for tests
input: 1x16x16
classes: 10
e1FirstConv: keep
stem: { op: conv_k3, channels: 8, stride: 2 }
candidates: [ir_k3_e1, ir_k3_e3, skip]
stages:
  - { channels: 8, repeats: 1, stride: 1 }
  - { channels: 16, repeats: 2, stride: 2 }
  - { channels: 16, repeats: 1, stride: 1, ops: [ir_k3_e1] }
head: { op: conv_k1, channels: 32 }
pool: avg
classifier: { dropout: 0, bias: true }
`;

let cached: Space | null = null;
export function tinySpace(): Space {
  return (cached ??= spaceFromText(TINY_SPACE_YAML, 'tiny-fbnet.yaml'));
}

/** synthetic:0 (1x16x16, 10 classes). */
export function tinyData(): DataSource {
  return loadDataSource('synthetic:0');
}
