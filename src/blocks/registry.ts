// The op registry: op type -> factory (cfg, C_in, C_out, stride, options) -> Module. The grammar
// of names is in opName.ts; a failed lookup lists the valid forms.
import { GlobalAvgPool, Linear, type Module } from '../nn';
import { InvertedResidual } from './invertedResidual';
import { MultiBranch } from './multiBranch';
import { parseOp, validOpForms, type OpConfig, type OpType } from './opName';
import { ConvBnAct, MbPool, Skip } from './simpleBlocks';

export interface BlockOptions {
  e1FirstConv: 'keep' | 'drop';
  dropPath?: number;
  /** Linear only. */
  bias?: boolean;
}

export type BlockFactory = (cfg: OpConfig, cin: number, cout: number, stride: number, o: BlockOptions) => Module;

const REGISTRY = new Map<OpType, BlockFactory>([
  ['ir', (c, i, o, s, opt) => new InvertedResidual(c as Extract<OpConfig, { type: 'ir' }>, i, o, s, opt)],
  ['skip', (_c, i, o, s) => new Skip(i, o, s)],
  ['conv', (c, i, o, s) => new ConvBnAct(c as Extract<OpConfig, { type: 'conv' }>, i, o, s)],
  ['mbpool', (c, i, o) => new MbPool(c as Extract<OpConfig, { type: 'mbpool' }>, i, o)],
  ['pool', () => new GlobalAvgPool()],
  ['linear', (_c, i, o, _s, opt) => new Linear(i, o, { bias: opt.bias ?? true })],
  [
    'multi',
    (c, i, o, s, opt) =>
      new MultiBranch(c as Extract<OpConfig, { type: 'multi' }>, i, o, s, (b, bi, bo, bs) =>
        buildBlock(b, bi, bo, bs, opt),
      ),
  ],
]);

export function blockFactory(type: string): BlockFactory {
  const f = REGISTRY.get(type as OpType);
  if (!f) throw new Error(`no block registered for op type '${type}'. Valid forms:\n${validOpForms()}`);
  return f;
}

/** Builds the block of an op name or config with the layer's channels and stride. */
export function buildBlock(op: string | OpConfig, cin: number, cout: number, stride: number, o: BlockOptions): Module {
  const cfg = typeof op === 'string' ? parseOp(op) : op;
  return blockFactory(cfg.type)(cfg, cin, cout, stride, o);
}

export function registeredOpTypes(): OpType[] {
  return [...REGISTRY.keys()];
}
