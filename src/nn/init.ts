// Weight initialisations (torch.nn.init), all in place under noGrad and seeded by manualSeed.
import { noGrad } from '../engine/autograd';
import { rand, randn } from '../engine/creation';
import { tidy } from '../engine/memory';
import type { Tensor } from '../engine/tensor';

export type FanMode = 'fan_in' | 'fan_out';

/** fan_in / fan_out of a weight [out, in/groups, kh, kw] or [out, in]. */
export function fans(w: Tensor): { fanIn: number; fanOut: number } {
  const s = w.shape;
  if (s.length < 2) throw new Error(`fans: a weight needs at least 2 dims, got [${s}]`);
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: s[1]! * receptive, fanOut: s[0]! * receptive };
}

function gain(nonlinearity: 'relu' | 'linear' | 'leaky_relu', a = 0): number {
  if (nonlinearity === 'relu') return Math.SQRT2;
  if (nonlinearity === 'leaky_relu') return Math.sqrt(2 / (1 + a * a));
  return 1;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  noGrad(() => tidy(() => t.copy_(randn(t.shape, { dtype: t.dtype, device: t.device }).mul(std).add(mean))));
  return t;
}
export function uniform_(t: Tensor, low: number, high: number): Tensor {
  noGrad(() =>
    tidy(() =>
      t.copy_(
        rand(t.shape, { dtype: t.dtype, device: t.device })
          .mul(high - low)
          .add(low),
      ),
    ),
  );
  return t;
}
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}
export const zeros_ = (t: Tensor) => constant_(t, 0);
export const ones_ = (t: Tensor) => constant_(t, 1);

/** He normal (torchvision's choice for convs: mode fan_out, relu). */
export function kaimingNormal_(t: Tensor, mode: FanMode = 'fan_in', nonlinearity: 'relu' | 'linear' = 'relu'): Tensor {
  const f = fans(t);
  return normal_(t, 0, gain(nonlinearity) / Math.sqrt(mode === 'fan_in' ? f.fanIn : f.fanOut));
}
/** He uniform; with a = sqrt(5) it is PyTorch's default for Linear and Conv2d. */
export function kaimingUniform_(t: Tensor, a = 0, mode: FanMode = 'fan_in'): Tensor {
  const f = fans(t);
  const bound = gain('leaky_relu', a) * Math.sqrt(3 / (mode === 'fan_in' ? f.fanIn : f.fanOut));
  return uniform_(t, -bound, bound);
}
