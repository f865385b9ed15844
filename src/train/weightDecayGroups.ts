import type { Tensor } from '../engine/tensor';

/**
 * Splits parameters into two optimizer groups: weight decay for tensors of rank 2 and more (conv
 * and linear weights), none for 1-D ones (BatchNorm, biases), as timm and the FBNet family's
 * recipes do. Order is kept within each group, so optimizer state names stay the same.
 */
export function weightDecayGroups(
  params: Iterable<Tensor>,
  weightDecay: number,
): Array<{ params: Tensor[]; weightDecay: number }> {
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const p of params) (p.rank <= 1 ? noDecay : decay).push(p);
  return [
    { params: decay, weightDecay },
    { params: noDecay, weightDecay: 0 },
  ];
}
