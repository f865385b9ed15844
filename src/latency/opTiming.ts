// How an ONNX target times one op. A session.run from JavaScript costs tens of microseconds of
// its own (into the runtime and back, input and output tensors), while an op of a small network
// computes for a few: timed as one call, an entry is mostly the call. So, run by run, a model
// with the same input and outputs that computes nothing is timed too and subtracted (the call's
// cost taken out), and the op may be timed as K copies in one model (the call paid once for K
// ops, its jitter divided by K); the entry is what is left, divided by K. Whole networks are still
// timed as one call each, as a deployed model is run: the table's fitted overheadUs holds that
// call once. The choice is recorded in the table's target settings (opTiming, opCopies); tables
// without them were timed one call per op.

/** The protocol an ONNX target times each op by. */
export interface OpTiming {
  /** Copies of the op in the one model a run times: chained when it keeps its input's shape, else side by side. */
  copies: number;
  /** Subtract, run by run, the time of the same call on a model that computes nothing (callBaseline.ts). */
  subtractCall: boolean;
}

/**
 * What tables are built with now: one copy, less the call. Measured (BENCHMARKS.md, "Deployment
 * runtimes") on a loaded 2-core machine, the subtraction does nearly all of the good; more copies
 * make each timed run longer, so more of them are preempted by other processes (or, in a browser,
 * silently inflated), and the tables ranked worse with 4 and 16 copies than with 1.
 */
export const DEFAULT_OP_TIMING: OpTiming = { copies: 1, subtractCall: true };
/** What tables were built with before: each op one session.run, nothing subtracted. */
export const ONE_CALL_PER_OP: OpTiming = { copies: 1, subtractCall: false };

export function checkOpTiming(t: OpTiming): OpTiming {
  if (!Number.isInteger(t.copies) || t.copies < 1 || t.copies > 256)
    throw new Error(`op copies must be an integer from 1 to 256, got ${t.copies}`);
  return t;
}

/** The target settings that record the protocol (a table's target.settings). */
export function opTimingSettings(t: OpTiming): { opTiming: string; opCopies: number } {
  return {
    opTiming: t.subtractCall ? MINUS_CALL : t.copies > 1 ? 'copies' : ONE_CALL,
    opCopies: t.copies,
  };
}

/** The protocol a table's target settings record; a table from before they were recorded: one call per op. */
export function opTimingOf(settings: Record<string, string | number | boolean>): OpTiming {
  const copies = typeof settings.opCopies === 'number' ? settings.opCopies : 1;
  return checkOpTiming({ copies, subtractCall: settings.opTiming === MINUS_CALL });
}

export const MINUS_CALL = 'minus-call';
export const ONE_CALL = 'one-call';

/** The protocol in words, for messages. */
export function opTimingText(t: OpTiming): string {
  const what = t.copies > 1 ? `${t.copies} copies per run` : 'one op per run';
  return t.subtractCall
    ? `${what}, less the call's own cost (a no-compute model, run by run)`
    : `${what}, the call included`;
}
