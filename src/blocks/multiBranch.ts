// A multi-branch layer (op name `a+b[+...]`): every branch is the op registry's block for its
// config with the layer's C_in, C_out and stride, and the layer's output is the sum of theirs.
// Branches are children named by op, `ops.<op>.<role>` (e.g. ops.ir_k5_e1.conv_dw.weight): the
// names a supernet's choice layer gives its candidates, so a multi-branch child network's weights
// are the supernet's under the same names.
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';
import { Module, Sequential } from '../nn';
import { formatOp, type BranchConfig, type MultiConfig } from './opName';

/**
 * The add that joins two branch outputs, alone (a latency table's `add` entry): x + x, two reads
 * of a tensor of the layer's output shape and one write, as a layer's sum of two branch outputs.
 */
export class BranchAdd extends Module {
  forward(x: Tensor): Tensor {
    return x.add(x);
  }
}

export class MultiBranch extends Module {
  /** The branch modules, in the canonical order of the op name. */
  readonly branches: Module[];

  constructor(
    readonly cfg: MultiConfig,
    inChannels: number,
    outChannels: number,
    stride: number,
    makeBranch: (cfg: BranchConfig, cin: number, cout: number, stride: number) => Module,
  ) {
    super();
    const named = cfg.branches.map(
      (b) => [formatOp(b), makeBranch(b, inChannels, outChannels, stride)] as [string, Module],
    );
    this.registerModule('ops', new Sequential(named));
    this.branches = named.map(([, m]) => m);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let out: Tensor | null = null;
      for (const b of this.branches) {
        const y = b.forward(x);
        out = out ? out.add(y) : y;
      }
      return out!;
    });
  }
}
