// Who is running a study: 'host:pid:token' identifies one search process, and whether it is
// still alive decides if its running trials are stale. On the same host the process table
// answers (a zombie counts as dead); on another host only the heartbeat can.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface WorkerId {
  id: string;
  host: string;
  pid: number;
}

/** A fresh id for this process (the token tells two runs of one pid apart). */
export function newWorkerId(): WorkerId {
  const host = os.hostname();
  const pid = process.pid;
  return { id: `${host}:${pid}:${crypto.randomBytes(4).toString('hex')}`, host, pid };
}

/** Whether a process of this host is alive (not a zombie). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; a killed child not yet reaped is 'Z'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    // no /proc (not Linux): trust kill(0)
  }
  return true;
}

/** Heartbeats older than this mark a worker of another host (or a reused pid) as dead. */
export const REMOTE_STALE_MS = 5 * 60_000;
export const LOCAL_STALE_MS = 30 * 60_000;

/** Whether the worker that last beat at heartbeatAt is still running. */
export function workerAlive(host: string, pid: number, heartbeatAt: number, now = Date.now()): boolean {
  if (host === os.hostname()) return pid === process.pid || (pidAlive(pid) && now - heartbeatAt < LOCAL_STALE_MS);
  return now - heartbeatAt < REMOTE_STALE_MS;
}

/** The host and pid of a worker id 'host:pid:token' (null for another form). */
export function parseWorker(id: string): { host: string; pid: number } | null {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(id);
  return m ? { host: m[1]!, pid: Number(m[2]) } : null;
}
