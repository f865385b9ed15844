// Architecture -> network on the engine. A pure function of (space, arch, options): decode to a
// NetDesc, then create one block per layer through the op registry. Children are named by role:
// stem, stages.<i>.<j>, head, pool, dropout, classifier.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Dropout, GlobalAvgPool, Linear, Module, Sequential } from '../nn';
import { buildBlock } from '../blocks/registry';
import { decode } from '../space/decode';
import type { Arch, DecodeOptions, LayerDesc, NetDesc, Space } from '../space/types';

/** Builds the module of one stage layer. */
export type LayerFactory = (layer: LayerDesc, o: { e1FirstConv: 'keep' | 'drop'; dropPath: number }) => Module;

const defaultLayer: LayerFactory = (l, o) => buildBlock(l.cfg, l.cin, l.cout, l.stride, o);

export class Network extends Module {
  readonly stem: Module;
  readonly stages: Sequential;
  readonly head: Module;
  readonly pool: GlobalAvgPool;
  readonly dropout: Dropout | null = null;
  readonly classifier: Linear;

  /**
   * `makeLayer` builds each searchable-stage layer (default: the op registry's block for its
   * config); a supernet passes one that makes a choice layer, and keeps everything else.
   */
  constructor(
    readonly desc: NetDesc,
    makeLayer: LayerFactory = defaultLayer,
  ) {
    super();
    const e1 = desc.e1FirstConv;
    const total = desc.stages.reduce((n, s) => n + s.length, 0);
    let idx = 0;
    this.stem = this.registerModule(
      'stem',
      buildBlock(desc.stem.cfg, desc.stem.cin, desc.stem.cout, desc.stem.stride, { e1FirstConv: e1 }),
    );
    this.stages = this.registerModule(
      'stages',
      new Sequential(
        desc.stages.map(
          (st, i) =>
            [
              String(i),
              new Sequential(
                st.map((l, j) => {
                  // Stochastic depth grows linearly with depth (timm's rule): block b of B gets rate * b / B.
                  const dp = (desc.dropPath * idx++) / Math.max(1, total);
                  return [String(j), makeLayer(l, { e1FirstConv: e1, dropPath: dp })] as [string, Module];
                }),
              ),
            ] as [string, Module],
        ),
      ),
    );
    this.head = this.registerModule(
      'head',
      buildBlock(desc.head.cfg, desc.head.cin, desc.head.cout, desc.head.stride, { e1FirstConv: e1 }),
    );
    this.pool = this.registerModule('pool', new GlobalAvgPool());
    if (desc.classifier.dropout > 0)
      this.dropout = this.registerModule('dropout', new Dropout(desc.classifier.dropout));
    this.classifier = this.registerModule(
      'classifier',
      new Linear(desc.classifier.cin, desc.classifier.cout, { bias: desc.classifier.bias }),
    );
  }

  /** Images [N, C, H, W] -> logits [N, classes]. */
  forward(x: Tensor): Tensor {
    return tidy(() => this.runWithStages(x, (h) => this.stages.forward(h)));
  }

  /**
   * Stem, then `runStages` in place of the stage layers, then head, pool, dropout, classifier: a
   * supernet runs its choice layers on a path this way. Call inside tidy (it disposes nothing).
   */
  protected runWithStages(x: Tensor, runStages: (h: Tensor) => Tensor): Tensor {
    let h = this.stem.forward(x);
    h = runStages(h);
    h = this.pool.forward(this.head.forward(h));
    if (this.dropout) h = this.dropout.forward(h);
    return this.classifier.forward(h);
  }
}

/** Builds the network of an architecture of a space. */
export function buildNetwork(space: Space, arch: Arch, o: DecodeOptions = {}): Network {
  return new Network(decode(space, arch, o));
}
