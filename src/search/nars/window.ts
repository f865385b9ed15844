// The pool's constraint window (stage 1 draws inside it; the paper's joint search: FLOPs between
// 400M and 800M) and stage 3's budgets. A window is bounds on the costs a study knows (flops,
// params, latency), lower and upper, written like constraints: 'flops>=2M,flops<=8M'; the study's
// own `constraints` bounds apply too. A budget is one upper bound, a constraint as the studies
// write it ('flops<=5M').
import { CONSTRAINT_FORMS, parseConstraint, type Constraint } from '../../cost/constraints';
import { costField, type ArchCosts, type CostKind } from '../../cost/costModel';
import { formatCost } from '../../cost/constraints';

export interface Bound {
  kind: CostKind;
  /** 'min': the cost must be >= value; 'max': <= value. */
  side: 'min' | 'max';
  value: number;
  text: string;
}

const split = (text: string) =>
  text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** Parses a window ('flops>=2M,flops<=8M'); errors name the flag and the forms. */
export function parseWindow(text: string, flag = '`options.window`'): Bound[] {
  const out: Bound[] = [];
  for (const part of split(text)) {
    const lower = /^([a-z]+)\s*>=\s*(.+)$/.exec(part);
    try {
      const c = parseConstraint(lower ? `${lower[1]}<=${lower[2]}` : part);
      out.push({ kind: c.kind, side: lower ? 'min' : 'max', value: c.max, text: part });
    } catch (err) {
      throw new Error(
        `${flag}: '${part}' is not a bound: write KIND>=X or KIND<=X with KIND flops, params or latency ` +
          `(e.g. flops>=2M,flops<=8M; X as in ${CONSTRAINT_FORMS[0]}): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
  if (!out.length) throw new Error(`${flag} is empty: give bounds such as flops>=2M,flops<=8M`);
  for (const k of new Set(out.map((b) => b.kind))) {
    const lo = Math.max(...out.filter((b) => b.kind === k && b.side === 'min').map((b) => b.value));
    const hi = Math.min(...out.filter((b) => b.kind === k && b.side === 'max').map((b) => b.value));
    if (lo > hi)
      throw new Error(
        `${flag}: the ${k} window is empty (${formatCost(k, lo)} <= ${k} <= ${formatCost(k, hi)}): the lower bound must not exceed the upper`,
      );
  }
  return out;
}

/** Parses stage 3's budgets ('flops<=3M,flops<=5M'), each a constraint; errors name the flag. */
export function parseBudgets(text: string, flag = '`options.budgets`'): Constraint[] {
  const parts = split(text);
  if (!parts.length) throw new Error(`${flag} is empty: give budgets such as flops<=3M,flops<=5M`);
  return parts.map((p) => {
    try {
      return parseConstraint(p);
    } catch (err) {
      throw new Error(`${flag}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** What a cost breaks of the window ('flops 1.2M < 2M'); empty when within it. */
export function outsideWindow(bounds: readonly Bound[], costs: ArchCosts): string[] {
  const out: string[] = [];
  for (const b of bounds) {
    const v = costs[costField(b.kind)];
    if (v === null) out.push(`${b.kind} unknown (${b.text})`);
    else if (b.side === 'min' ? !(v >= b.value) : !(v <= b.value))
      out.push(`${b.kind} ${formatCost(b.kind, v)} ${b.side === 'min' ? '<' : '>'} ${formatCost(b.kind, b.value)}`);
  }
  return out;
}

/** The window as text, e.g. 'flops>=2M flops<=8M'. */
export function windowText(bounds: readonly Bound[]): string {
  return bounds.map((b) => b.text).join(' ');
}
