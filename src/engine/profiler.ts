// libtorch's operator profiler: every ATen op run between start and stop (forward and backward,
// from any thread) is written as a Chrome trace (open it in chrome://tracing or Perfetto), and
// `summarizeTrace` totals it per op. The tool to find where a step's time goes.
import * as fs from 'node:fs';
import { native } from './binding';

/** Starts recording ops into `traceFile` (written when `stopProfiler` is called). One recording at a time. */
export function startProfiler(traceFile: string): void {
  native.profilerStart(traceFile);
}

/** Stops the recording and writes its trace file. */
export function stopProfiler(): void {
  native.profilerStop();
}

/** Records the ops that `fn` runs into `traceFile`; the trace is written even if `fn` throws. */
export function profile<T>(traceFile: string, fn: () => T): T {
  startProfiler(traceFile);
  try {
    return fn();
  } finally {
    stopProfiler();
  }
}

export interface OpTotal {
  name: string;
  calls: number;
  /** Wall time inside the op, children included (µs, summed over calls). */
  totalUs: number;
  /** totalUs less the time of the ops it called (µs). */
  selfUs: number;
}

interface TraceEvent {
  name?: string;
  ph?: string;
  ts?: number | string;
  dur?: number | string;
  tid?: number | string;
}

/**
 * Per-op totals of a trace written by the profiler (or any Chrome trace of complete 'X' events),
 * by self time, largest first. Nesting is recovered per thread from the intervals.
 */
export function summarizeTrace(traceFile: string): OpTotal[] {
  let events: TraceEvent[];
  try {
    const raw = JSON.parse(fs.readFileSync(traceFile, 'utf8')) as TraceEvent[] | { traceEvents: TraceEvent[] };
    events = Array.isArray(raw) ? raw : raw.traceEvents;
  } catch (err) {
    throw new Error(`${traceFile}: not a readable Chrome trace (${err instanceof Error ? err.message : err})`, {
      cause: err,
    });
  }
  const spans = events
    .filter((e) => e.ph === 'X' && e.name !== undefined)
    .map((e) => ({ name: e.name!, tid: String(e.tid ?? 0), start: Number(e.ts), end: Number(e.ts) + Number(e.dur) }))
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end));
  const totals = new Map<string, OpTotal>();
  const byThread = new Map<string, typeof spans>();
  for (const s of spans) {
    const list = byThread.get(s.tid);
    if (list) list.push(s);
    else byThread.set(s.tid, [s]);
  }
  for (const list of byThread.values()) {
    // Parents start first (and end last on ties); a stack of open spans gives each its parent.
    list.sort((a, b) => a.start - b.start || b.end - a.end);
    const stack: Array<{ name: string; end: number; childUs: number; us: number }> = [];
    const close = (until: number) => {
      while (stack.length && stack.at(-1)!.end <= until) {
        const s = stack.pop()!;
        const t = totals.get(s.name) ?? { name: s.name, calls: 0, totalUs: 0, selfUs: 0 };
        t.calls++;
        t.totalUs += s.us;
        t.selfUs += s.us - s.childUs;
        totals.set(s.name, t);
        if (stack.length) stack.at(-1)!.childUs += s.us;
      }
    };
    for (const s of list) {
      close(s.start);
      stack.push({ name: s.name, end: s.end, childUs: 0, us: s.end - s.start });
    }
    close(Infinity);
  }
  return [...totals.values()].sort((a, b) => b.selfUs - a.selfUs);
}
