// (space, architecture) -> NetDesc: the plain description of one network, in the order
// unify -> expand stages -> flatten into role-named layers. Pure; the builder and the cost
// models both start from it.
import { formatOp, parseOp, type ActName, type OpConfig } from '../blocks/opName';
import type { LayerwiseSpaceFile, StagewiseSpaceFile } from './schema';
import { branchValueProblem } from './branchValue';
import type { Arch, DecodeOptions, LayerDesc, NetDesc, Space, Value } from './types';

/** Throws unless every dimension of the space has an allowed value in arch (and no extras). */
export function checkArch(space: Space, arch: Arch): void {
  for (const d of space.dims) {
    const v = arch[d.key];
    if (v === undefined)
      throw new Error(
        `architecture for space '${space.name}' has no value for '${d.key}' (allowed: ${d.values.join(', ')})`,
      );
    if (!d.values.includes(v)) {
      const problem = d.branches ? branchValueProblem(d, v) : `${JSON.stringify(v)} is not allowed`;
      if (problem !== null) {
        const sets = d.branches ? `, or up to ${d.branches} of them joined by '+' in sorted order` : '';
        throw new Error(
          `architecture for space '${space.name}': '${d.key}' = ${problem} (allowed: ${d.values.join(', ')}${sets})`,
        );
      }
    }
  }
  if (Object.keys(arch).length !== space.dims.length) {
    const extra = Object.keys(arch).filter((k) => !space.dims.some((d) => d.key === k));
    throw new Error(`architecture for space '${space.name}' has unknown key(s): ${extra.join(', ')}`);
  }
}

function layer(name: string, cfg: OpConfig, cin: number, cout: number, stride: number): LayerDesc {
  if (cfg.type === 'multi') for (const b of cfg.branches) layer(name, b, cin, cout, stride);
  if (cfg.type === 'ir') {
    const mid = cin * cfg.expansion;
    const g = cfg.groups;
    if (cin % g || mid % g || cout % g) {
      throw new Error(
        `${name}: ${formatOp(cfg)} with groups ${g} needs channels divisible by ${g} (C_in ${cin}, C_mid ${mid}, C_out ${cout})`,
      );
    }
  }
  return { name, op: formatOp(cfg), cfg, cin, cout, stride };
}

function inputShape(space: Space, o: DecodeOptions, resolution?: number): [number, number, number] {
  if (o.input) {
    // A space that searches the resolution takes only the channels from the input (the data's);
    // the architecture's resolution decides the size, and the loader resizes to it.
    if (resolution !== undefined) return [o.input[0], resolution, resolution];
    return [o.input[0], o.input[1], o.input[2]];
  }
  const [c, h, w] = space.input;
  return resolution !== undefined ? [c, resolution, resolution] : [c, h, w];
}

function recipeNumber(arch: Arch, field: string): number | undefined {
  const v: Value | undefined = arch[`recipe.${field}`];
  return typeof v === 'number' ? v : undefined;
}

function finish(
  space: Space,
  arch: Arch,
  o: DecodeOptions,
  input: [number, number, number],
  stemCh: number,
  stages: LayerDesc[][],
  head: LayerDesc,
): NetDesc {
  const f = space.source;
  const stemCfg = parseOp(f.stem.op);
  return {
    space: space.name,
    input,
    classes: o.classes ?? f.classes,
    e1FirstConv: f.e1FirstConv,
    stem: layer('stem', stemCfg, input[0], stemCh, f.stem.stride),
    stages,
    head,
    pool: 'avg',
    classifier: {
      cin: head.cout,
      cout: o.classes ?? f.classes,
      bias: f.classifier.bias,
      dropout: o.dropout ?? recipeNumber(arch, 'dropout') ?? f.classifier.dropout,
    },
    dropPath: o.dropPath ?? recipeNumber(arch, 'dropPath') ?? 0,
  };
}

function decodeLayerwise(space: Space, f: LayerwiseSpaceFile, arch: Arch, o: DecodeOptions): NetDesc {
  const input = inputShape(space, o);
  const stemCh = arch['stem.channels'] as number;
  let cin = stemCh;
  let n = 0;
  const stages = f.stages.map((st, i) => {
    const blocks: LayerDesc[] = [];
    for (let r = 0; r < st.repeats; r++) {
      n++;
      const cfg = parseOp(arch[`layer${n}`] as string);
      blocks.push(layer(`stages.${i}.${r}`, cfg, cin, st.channels, r === 0 ? st.stride : 1));
      cin = st.channels;
    }
    return blocks;
  });
  const head = layer('head', parseOp(f.head.op), cin, arch['head.channels'] as number, 1);
  return finish(space, arch, o, input, stemCh, stages, head);
}

function decodeStagewise(space: Space, f: StagewiseSpaceFile, arch: Arch, o: DecodeOptions): NetDesc {
  const res = arch['resolution'] as number | undefined;
  const input = inputShape(space, o, res);
  const stemCh = arch['stem.channels'] as number;
  let cin = stemCh;
  const stages = f.stages.map((st, i) => {
    const g = `stage${i + 1}`;
    const kernel = arch[`${g}.kernel`] as number;
    const eRest = arch[`${g}.expansion`] as number;
    const eFirst = (arch[`${g}.expansionFirst`] as number | undefined) ?? eRest;
    const cout = arch[`${g}.channels`] as number;
    const depth = arch[`${g}.depth`] as number;
    const se = arch[`${g}.se`] as boolean;
    const act = arch[`${g}.act`] as ActName;
    const blocks: LayerDesc[] = [];
    for (let r = 0; r < depth; r++) {
      const cfg: OpConfig = { type: 'ir', kernel, expansion: r === 0 ? eFirst : eRest, groups: 1, se, act };
      blocks.push(layer(`stages.${i}.${r}`, cfg, cin, cout, r === 0 ? st.stride : 1));
      cin = cout;
    }
    return blocks;
  });
  const head = layer('head', parseOp(f.head.op), cin, arch['head.channels'] as number, 1);
  return finish(space, arch, o, input, stemCh, stages, head);
}

/** Decodes an architecture of a space into a network description. */
export function decode(space: Space, arch: Arch, o: DecodeOptions = {}): NetDesc {
  checkArch(space, arch);
  const f = space.source;
  return f.style === 'layerwise' ? decodeLayerwise(space, f, arch, o) : decodeStagewise(space, f, arch, o);
}

/** Every layer of a decoded network in forward order (stem, blocks, head). */
export function allLayers(d: NetDesc): LayerDesc[] {
  return [d.stem, ...d.stages.flat(), d.head];
}
