// A supernet over a layer-wise space: the standalone Network (src/builder/buildNetwork.ts) with
// a choice layer in place of every stage layer. Stem, head, pool, dropout and classifier are the
// network's own blocks, with its role names (stem, stages.<i>.<j>, head, pool, dropout,
// classifier), and its forward runs them; only the stage layers differ, and a path says what
// each of them runs: a candidate index (a single path, as one-shot training and evaluation use)
// or a set of branches whose outputs are summed (multi-branch layers). A method that runs its
// layers some other way (weighted by a distribution, gated) subclasses this with its own choice
// layer and calls runWithStages itself.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Network } from '../builder/buildNetwork';
import { ChoiceLayer, type LayerChoice } from './choiceLayer';
import type { SupernetLayer, SupernetLayout } from './layout';

/** Makes the choice layer of one layer of the layout. */
export type ChoiceLayerFactory<L extends ChoiceLayer> = (layer: SupernetLayer, e1FirstConv: 'keep' | 'drop') => L;

/** One choice per layer of the layout, in order. */
export type SupernetPath = readonly LayerChoice[];

export class SupernetNetwork<L extends ChoiceLayer = ChoiceLayer> extends Network {
  readonly layout: SupernetLayout;
  /** One per layer of the layout, in forward order. */
  readonly choiceLayers: L[];

  constructor(layout: SupernetLayout, makeChoice: ChoiceLayerFactory<L> = (l, e1) => new ChoiceLayer(l, e1) as L) {
    const made: L[] = [];
    // The network builds the stage layers in forward order, which is the layout's order.
    super(layout.desc, (_, o) => {
      const layer = makeChoice(layout.layers[made.length]!, o.e1FirstConv);
      made.push(layer);
      return layer;
    });
    this.layout = layout;
    this.choiceLayers = made;
  }

  /** Images -> logits with every layer running its part of the path (an index, or a branch set). */
  forwardPath(x: Tensor, path: SupernetPath): Tensor {
    if (path.length !== this.choiceLayers.length) {
      throw new Error(
        `space '${this.layout.space.name}' has ${this.choiceLayers.length} layers; the path has ${path.length} choices`,
      );
    }
    return tidy(() =>
      this.runWithStages(x, (h) => this.choiceLayers.reduce((acc, layer, l) => layer.run(acc, path[l]!), h)),
    );
  }

  /** A supernet has no single network to run: say which path. */
  override forward(_x: Tensor): Tensor {
    throw new Error(
      `a supernet runs a path: forwardPath(x, path) with one candidate index (or branch set) per layer (${this.choiceLayers.length} layers)`,
    );
  }

  /** Zeroes every choice layer's call counters. */
  resetCalls(): void {
    for (const layer of this.choiceLayers) layer.resetCalls();
  }
}
