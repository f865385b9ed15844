import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { adaptiveAvgPool2d, channelShuffle } from './functional';
import { Module } from './module';

/** Runs children in order; children are named '0', '1', ... unless given names. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[] | [Array<[string, Module]>]) {
    super();
    const named: Array<[string, Module]> = Array.isArray(layers[0])
      ? (layers[0] as Array<[string, Module]>)
      : (layers as Module[]).map((m, i) => [String(i), m]);
    this.layers = named.map(([n, m]) => this.registerModule(n, m));
  }
  forward(x: Tensor): Tensor {
    if (this.layers.length === 0) return x.add(0);
    return tidy(() => {
      let h = x;
      for (const layer of this.layers) h = layer.forward(h);
      return h;
    });
  }
}

/** Global average pool then flatten: [N, C, H, W] -> [N, C]. */
export class GlobalAvgPool extends Module {
  forward(x: Tensor): Tensor {
    return tidy(() => adaptiveAvgPool2d(x, 1).flatten(1));
  }
}

export class ChannelShuffle extends Module {
  constructor(readonly groups: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return channelShuffle(x, this.groups);
  }
}
