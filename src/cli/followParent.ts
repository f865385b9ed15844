// The local workers of `tsnas search --workers N` follow the command that started them: when it is
// gone (kill -9 included, which cannot tell them), each stops at once and leaves its running trial
// to the store's machinery (the trial of a process of this host that ended is failed as
// interrupted and asked again by the next run on the study: `search --resume`, another worker).
// The parent is watched by a timer, and on every heartbeat of the worker's trial, since a
// computing evaluator can keep the event loop from the timer for a whole epoch.
import * as fs from 'node:fs';
import { pidAlive } from '../study/worker';

/** This process's parent now (process.ppid is read once, at start), or null where there is no /proc. */
function currentParent(): number | null {
  try {
    // "pid (comm) state ppid ...": the fields after the last ')'.
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } catch {
    return null;
  }
}

/** Whether the process `parentPid` is no longer this one's parent (it ended: this one was adopted). */
export function parentGone(parentPid: number): boolean {
  const ppid = currentParent();
  return ppid !== null ? ppid !== parentPid : !pidAlive(parentPid);
}

export interface ParentWatch {
  /** Looks now (cheap: one small read); calls onGone if the parent is gone. */
  check(): void;
  stop(): void;
}

/**
 * Calls `onGone` (once) when `parentPid` is gone: looked at now, every `everyMs` by a timer that
 * does not keep the process alive, and at each `check()`.
 */
export function followParent(parentPid: number, onGone: () => void, everyMs = 500): ParentWatch {
  let done = false;
  const check = () => {
    if (done || !parentGone(parentPid)) return;
    done = true;
    clearInterval(timer);
    onGone();
  };
  const timer = setInterval(check, everyMs);
  timer.unref();
  check();
  return {
    check,
    stop: () => {
      done = true;
      clearInterval(timer);
    },
  };
}
