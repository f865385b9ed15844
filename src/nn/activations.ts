// Activation layers, and a registry so architectures can name them in data.
import { Tensor } from '../engine/tensor';
import { native } from '../engine/binding';
import { Module } from './module';

export type ActivationName = 'relu' | 'relu6' | 'hswish' | 'swish' | 'sigmoid' | 'hsigmoid' | 'identity';
export const ACTIVATIONS: readonly ActivationName[] = [
  'relu',
  'relu6',
  'hswish',
  'swish',
  'sigmoid',
  'hsigmoid',
  'identity',
];

const FORWARD: Record<ActivationName, (x: Tensor) => Tensor> = {
  relu: (x) => x.relu(),
  relu6: (x) => x.relu6(),
  hswish: (x) => x.hardswish(),
  swish: (x) => x.silu(),
  sigmoid: (x) => x.sigmoid(),
  hsigmoid: (x) => x.hardsigmoid(),
  identity: (x) => Tensor.wrap(native.alias(x.handle), 'identity'),
};

export class Activation extends Module {
  readonly #fn: (x: Tensor) => Tensor;
  constructor(readonly kind: ActivationName) {
    super();
    const fn = FORWARD[kind];
    if (!fn) throw new Error(`unknown activation '${kind}' (valid: ${ACTIVATIONS.join(', ')})`);
    this.#fn = fn;
  }
  forward(x: Tensor): Tensor {
    return this.#fn(x);
  }
}

export const ReLU = () => new Activation('relu');
export const ReLU6 = () => new Activation('relu6');
export const Hardswish = () => new Activation('hswish');
export const Hardsigmoid = () => new Activation('hsigmoid');
export const SiLU = () => new Activation('swish');
export const Sigmoid = () => new Activation('sigmoid');
export const Identity = () => new Activation('identity');
