// MACs and parameters of one layer from its config and input shape (cost-conventions.md):
// conv MACs = H_out * W_out * C_out * (C_in / groups) * k_h * k_w, linear MACs = in * out;
// BatchNorm, activations, additions, pooling and biases cost no MACs. Parameters count every
// trainable tensor: conv and linear weights, biases, BatchNorm weight and bias (2 per channel).
// No engine here: this file must never load the native addon.
import { seReducedChannels, type OpConfig } from '../blocks/opName';

export interface LayerCost {
  macs: number;
  params: number;
  /** Output spatial size. */
  h: number;
  w: number;
}

/** Output size of a conv with padding k/2 (the only padding the blocks use). */
export const convOut = (size: number, k: number, stride: number): number =>
  Math.floor((size + 2 * Math.floor(k / 2) - k) / stride) + 1;

/**
 * Cost of one layer. `e1` is the space's reading of e = 1 in inverted residuals: 'keep' runs the
 * first 1x1 conv, 'drop' leaves it out.
 */
export function layerCost(
  cfg: OpConfig,
  cin: number,
  cout: number,
  stride: number,
  h: number,
  w: number,
  e1: 'keep' | 'drop',
): LayerCost {
  switch (cfg.type) {
    case 'ir': {
      const g = cfg.groups;
      const hasPw = !(cfg.expansion === 1 && e1 === 'drop');
      const mid = cin * cfg.expansion;
      let macs = 0;
      let params = 0;
      if (hasPw) {
        macs += h * w * mid * (cin / g);
        params += mid * (cin / g) + 2 * mid;
      }
      const ho = convOut(h, cfg.kernel, stride);
      const wo = convOut(w, cfg.kernel, stride);
      const k2 = cfg.kernel * cfg.kernel;
      macs += ho * wo * mid * k2;
      params += mid * k2 + 2 * mid;
      if (cfg.se) {
        const r = seReducedChannels(mid);
        macs += 2 * mid * r;
        params += mid * r + r + r * mid + mid;
      }
      macs += ho * wo * cout * (mid / g);
      params += cout * (mid / g) + 2 * cout;
      return { macs, params, h: ho, w: wo };
    }
    case 'skip': {
      if (stride === 1 && cin === cout) return { macs: 0, params: 0, h, w };
      const ho = convOut(h, 1, stride);
      const wo = convOut(w, 1, stride);
      return { macs: ho * wo * cout * cin, params: cout * cin + 2 * cout, h: ho, w: wo };
    }
    case 'conv': {
      const ho = convOut(h, cfg.kernel, stride);
      const wo = convOut(w, cfg.kernel, stride);
      const k2 = cfg.kernel * cfg.kernel;
      return { macs: ho * wo * cout * cin * k2, params: cout * cin * k2 + 2 * cout, h: ho, w: wo };
    }
    case 'mbpool': {
      const mid = cin * cfg.expansion;
      return { macs: h * w * mid * cin + mid * cout, params: mid * cin + 2 * mid + mid * cout + cout, h: 1, w: 1 };
    }
    case 'pool':
      return { macs: 0, params: 0, h: 1, w: 1 };
    case 'linear':
      return { macs: cin * cout, params: cin * cout + cout, h: 1, w: 1 };
    case 'multi': {
      // The branches' costs summed (the add that joins them costs no MACs); every branch has the
      // layer's stride and k/2 padding, so all give the same output size.
      let macs = 0;
      let params = 0;
      let out = { h, w };
      for (const b of cfg.branches) {
        const r = layerCost(b, cin, cout, stride, h, w, e1);
        macs += r.macs;
        params += r.params;
        out = { h: r.h, w: r.w };
      }
      return { macs, params, ...out };
    }
  }
}
