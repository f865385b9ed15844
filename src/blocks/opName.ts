// Op names: the one grammar for every layer a space can name, decoded to plain config objects.
// Pure data, no engine: the cost models and space loader use it without loading the addon.
//
// Grammar (tokens joined by '_'; <act> is optional and one of r6 = relu6, hs = hswish,
// sw = swish; without it the activation is ReLU):
//   ir_k<k>_e<e>[_g<g>][_se][_<act>]  inverted residual: 1x1 conv (groups g) + BN + act,
//                                     channel shuffle if g > 1, k x k depthwise (stride of the
//                                     layer, padding k/2) + BN + act, [squeeze-excite with a
//                                     hard-sigmoid gate], 1x1 conv (groups g) + BN; residual add
//                                     when stride 1 and C_in == C_out
//   skip                              identity when shapes match, else 1x1 conv (stride s) + BN + ReLU
//   conv_k<k>[_<act>]                 plain k x k conv (stride of the layer) + BN + act (stem, head)
//   mbpool_e<e>[_<act>]               FBNetV3 head: 1x1 conv C_in -> C_in*e + BN + act, global
//                                     average pool, 1x1 conv -> C_out with bias + act
//   pool                              global average pool
//   linear                            fully connected layer (classifier)
//   <op>+<op>[+<op>...]               multi-branch layer: every branch (an ir, skip or conv op) runs
//                                     on the layer's input with the layer's C_in, C_out and stride,
//                                     and their outputs are summed; branches distinct, written in
//                                     sorted order (one canonical name per set), e.g. ir_k3_e3+ir_k5_e1

export type ActName = 'relu' | 'relu6' | 'hswish' | 'swish';
/** Short suffix of each activation in op names ('' for the default, ReLU). */
export const ACT_SUFFIX: Record<ActName, string> = { relu: '', relu6: 'r6', hswish: 'hs', swish: 'sw' };
const SUFFIX_ACT: Record<string, ActName> = { r6: 'relu6', hs: 'hswish', sw: 'swish', re: 'relu' };

export interface IrConfig {
  type: 'ir';
  kernel: number;
  expansion: number;
  groups: number;
  se: boolean;
  act: ActName;
}
export interface SkipConfig {
  type: 'skip';
}
export interface ConvConfig {
  type: 'conv';
  kernel: number;
  act: ActName;
}
export interface MbPoolConfig {
  type: 'mbpool';
  expansion: number;
  act: ActName;
}
export interface PoolConfig {
  type: 'pool';
}
export interface LinearConfig {
  type: 'linear';
}
/** A multi-branch layer: the branches' outputs are summed. */
export interface MultiConfig {
  type: 'multi';
  /** Two or more distinct single ops, in canonical (sorted-name) order. */
  branches: readonly BranchConfig[];
}
/** What a branch of a multi-branch layer may be. */
export type BranchConfig = IrConfig | SkipConfig | ConvConfig;
export type SingleOpConfig = IrConfig | SkipConfig | ConvConfig | MbPoolConfig | PoolConfig | LinearConfig;
export type OpConfig = SingleOpConfig | MultiConfig;
export type OpType = OpConfig['type'];
/** The op types named by a single '_'-separated name (every type but 'multi'). */
export type SingleOpType = SingleOpConfig['type'];
/** Joins the branches of a multi-branch layer's name. */
export const BRANCH_SEPARATOR = '+';
const BRANCH_TYPES: ReadonlyArray<OpType> = ['ir', 'skip', 'conv'];

export interface OpGrammar {
  form: string;
  example: string;
  /** Parses the tokens after the type name; returns a message on failure. */
  parse(tokens: string[]): SingleOpConfig | string;
}

/** Reads tokens like k5, e6, g2 in a fixed order, then flags and an activation suffix. */
function readTokens(
  tokens: string[],
  numeric: Array<{ key: string; required: boolean }>,
  flags: string[],
): Record<string, number | boolean | ActName> | string {
  const out: Record<string, number | boolean | ActName> = {};
  let act: ActName = 'relu';
  let i = 0;
  for (const { key, required } of numeric) {
    const t = tokens[i];
    const m = t !== undefined ? new RegExp(`^${key}([1-9][0-9]*)$`).exec(t) : null;
    if (m) {
      out[key] = Number(m[1]);
      i++;
    } else if (required) {
      return `expected '${key}<positive integer>' ${t === undefined ? 'but the name ends' : `but found '${t}'`}`;
    }
  }
  for (const f of flags) {
    out[f] = tokens[i] === f;
    if (out[f]) i++;
  }
  if (i < tokens.length && SUFFIX_ACT[tokens[i]!]) act = SUFFIX_ACT[tokens[i++]!]!;
  if (i < tokens.length) return `unexpected '${tokens.slice(i).join('_')}'`;
  out.act = act;
  return out;
}

/** The op registry's grammar: one entry per op type. */
export const OP_GRAMMAR: Record<SingleOpType, OpGrammar> = {
  ir: {
    form: 'ir_k<k>_e<e>[_g<g>][_se][_r6|_hs|_sw]',
    example: 'ir_k5_e6, ir_k5_e1_g2, ir_k3_e4_se_hs',
    parse(tokens) {
      const r = readTokens(
        tokens,
        [
          { key: 'k', required: true },
          { key: 'e', required: true },
          { key: 'g', required: false },
        ],
        ['se'],
      );
      if (typeof r === 'string') return r;
      if ((r.k as number) % 2 === 0) return `kernel ${r.k} must be odd (padding is k/2)`;
      return {
        type: 'ir',
        kernel: r.k as number,
        expansion: r.e as number,
        groups: (r.g as number | undefined) ?? 1,
        se: r.se as boolean,
        act: r.act as ActName,
      };
    },
  },
  skip: {
    form: 'skip',
    example: 'skip',
    parse: (tokens) => (tokens.length ? `'skip' takes no options, found '${tokens.join('_')}'` : { type: 'skip' }),
  },
  conv: {
    form: 'conv_k<k>[_r6|_hs|_sw]',
    example: 'conv_k3, conv_k1_hs',
    parse(tokens) {
      const r = readTokens(tokens, [{ key: 'k', required: true }], []);
      if (typeof r === 'string') return r;
      if ((r.k as number) % 2 === 0) return `kernel ${r.k} must be odd (padding is k/2)`;
      return { type: 'conv', kernel: r.k as number, act: r.act as ActName };
    },
  },
  mbpool: {
    form: 'mbpool_e<e>[_r6|_hs|_sw]',
    example: 'mbpool_e6_hs',
    parse(tokens) {
      const r = readTokens(tokens, [{ key: 'e', required: true }], []);
      if (typeof r === 'string') return r;
      return { type: 'mbpool', expansion: r.e as number, act: r.act as ActName };
    },
  },
  pool: {
    form: 'pool',
    example: 'pool',
    parse: (tokens) => (tokens.length ? `'pool' takes no options` : { type: 'pool' }),
  },
  linear: {
    form: 'linear',
    example: 'linear',
    parse: (tokens) => (tokens.length ? `'linear' takes no options` : { type: 'linear' }),
  },
};

export const OP_TYPES = Object.keys(OP_GRAMMAR) as SingleOpType[];

/** The valid forms, one per line, for error messages. */
export function validOpForms(): string {
  return (
    OP_TYPES.map((t) => `  ${OP_GRAMMAR[t].form}   (e.g. ${OP_GRAMMAR[t].example})`).join('\n') +
    '\n  <op>+<op>[+...]   (a multi-branch layer of ir, skip or conv ops, outputs summed; e.g. ir_k3_e3+ir_k5_e1)' +
    '\n  activation suffix: r6 = relu6, hs = hswish, sw = swish; none = relu'
  );
}

/** Sorts branch names into the canonical order of a multi-branch name (code-unit order, as Array.sort). */
export function canonicalBranchOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The canonical name of a set of branches (one op name when the set has one). */
export function formatBranches(names: readonly string[]): string {
  return canonicalBranchOrder(names).join(BRANCH_SEPARATOR);
}

/** The branch names of an op name: [name] for a single op, the parts of a multi-branch one. */
export function branchNames(name: string): string[] {
  return name.split(BRANCH_SEPARATOR);
}

function parseMulti(name: string): MultiConfig {
  const parts = name.split(BRANCH_SEPARATOR);
  const bad = (problem: string) =>
    new Error(`invalid multi-branch op name '${name}': ${problem}. Valid forms:\n${validOpForms()}`);
  if (parts.some((p) => p === '')) throw bad(`an empty branch (write branches joined by single '+')`);
  const branches = parts.map((p) => {
    const cfg = parseOp(p);
    if (!BRANCH_TYPES.includes(cfg.type))
      throw bad(`branch '${p}' is a ${cfg.type}; a branch is an ${BRANCH_TYPES.join(', ')} op`);
    return cfg as BranchConfig;
  });
  if (new Set(parts).size !== parts.length) throw bad('a branch appears twice (each branch is a distinct op)');
  const canonical = formatBranches(parts);
  if (canonical !== name)
    throw bad(`write it as '${canonical}' (branches in sorted order: one canonical name per set)`);
  return { type: 'multi', branches };
}

const cache = new Map<string, OpConfig>();

/** Decodes an op name to its plain config; an unknown or malformed name lists the valid forms. */
export function parseOp(name: string): OpConfig {
  const hit = cache.get(name);
  if (hit) return hit;
  if (String(name).includes(BRANCH_SEPARATOR)) {
    const multi = Object.freeze(parseMulti(String(name)));
    cache.set(name, multi);
    return multi;
  }
  const [type, ...rest] = String(name).split('_');
  const grammar = OP_GRAMMAR[type as SingleOpType];
  const problem =
    !grammar || !Object.prototype.hasOwnProperty.call(OP_GRAMMAR, type!)
      ? `unknown op type '${type}'`
      : grammar.parse(rest);
  if (typeof problem === 'string') {
    throw new Error(`invalid op name '${name}': ${problem}. Valid forms:\n${validOpForms()}`);
  }
  const canonical = formatOp(problem);
  if (canonical !== name) {
    throw new Error(
      `invalid op name '${name}': write it as '${canonical}' (one canonical name per op). Valid forms:\n${validOpForms()}`,
    );
  }
  Object.freeze(problem);
  cache.set(name, problem);
  return problem;
}

/** The canonical name of an op config (the inverse of parseOp). */
export function formatOp(c: OpConfig): string {
  const act = (a: ActName) => (ACT_SUFFIX[a] ? `_${ACT_SUFFIX[a]}` : '');
  switch (c.type) {
    case 'ir':
      return `ir_k${c.kernel}_e${c.expansion}${c.groups > 1 ? `_g${c.groups}` : ''}${c.se ? '_se' : ''}${act(c.act)}`;
    case 'conv':
      return `conv_k${c.kernel}${act(c.act)}`;
    case 'mbpool':
      return `mbpool_e${c.expansion}${act(c.act)}`;
    case 'multi':
      return formatBranches(c.branches.map(formatOp));
    default:
      return c.type;
  }
}

/** Rounds v to a multiple of divisor, never below 90% of v (the MobileNet rule; SE widths). */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  const r = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  return r < 0.9 * v ? r + divisor : r;
}

/** Squeezed width of the squeeze-excite in an inverted residual of `mid` channels. */
export const seReducedChannels = (mid: number): number => makeDivisible(mid / 4, 8);
