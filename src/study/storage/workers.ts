// The workers of an SQL store's studies: the lease one search process holds on a study, the
// workers sharing one, and one-off phases (a strategy's prepare, the ask lock) claimed by one
// worker at a time; whether a holder is alive decides who may take over (worker.ts).
import * as os from 'node:os';
import { parseWorker, pidAlive, workerAlive, type WorkerId } from '../worker';
import { StudyBusyError } from './storeErrors';
import { StorePart } from './storePart';

/** Leases, sharing workers and one-off phases. */
export class WorkerTable extends StorePart {
  /** Live workers sharing a study (schema 3's study_workers). */
  sharingWorkers(studyId: number): Array<{ worker: string; pid: number; host: string; since: number }> {
    return this.driver
      .all<{ worker: string; pid: number; host: string; started_at: number; heartbeat_at: number }>(
        'SELECT * FROM study_workers WHERE study_id = ? ORDER BY started_at',
        [studyId],
      )
      .filter((w) => workerAlive(w.host, w.pid, w.heartbeat_at))
      .map((w) => ({ worker: w.worker, pid: w.pid, host: w.host, since: w.started_at }));
  }

  /**
   * Takes the study for this process. Throws StudyBusyError while another live process holds it
   * (same host: its pid is alive; another host: it beat within the last minutes), or while workers
   * share it.
   */
  acquireLease(studyId: number, me: WorkerId): void {
    this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      this.refuseIfLeased(studyId, me);
      const sharing = this.sharingWorkers(studyId).filter((w) => w.worker !== me.id);
      if (sharing.length) {
        const s = this.store.studyById(studyId);
        throw new StudyBusyError(
          `study '${s.name}' is being searched by ${sharing.length} worker(s) (${sharing.map((w) => `process ${w.pid} on ${w.host}`).join(', ')})`,
          {
            hint: 'wait for them to finish or stop them, or add one more worker to it',
            study: s.name,
            store: this.file,
          },
        );
      }
      const now = Date.now();
      this.driver.run(
        `INSERT INTO workers (study_id, worker, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (study_id) DO UPDATE SET worker = excluded.worker, pid = excluded.pid, host = excluded.host,
        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
        [studyId, me.id, me.pid, me.host, now, now],
      );
    });
  }

  private refuseIfLeased(studyId: number, me: WorkerId): void {
    const cur = this.driver.get<{
      worker: string;
      pid: number;
      host: string;
      started_at: number;
      heartbeat_at: number;
    }>('SELECT * FROM workers WHERE study_id = ?', [studyId]);
    if (cur && cur.worker !== me.id && workerAlive(cur.host, cur.pid, cur.heartbeat_at)) {
      const s = this.store.studyById(studyId);
      throw new StudyBusyError(
        `study '${s.name}' is being searched by process ${cur.pid} on ${cur.host} (since ${new Date(cur.started_at).toISOString()}); ` +
          'wait for it to finish or stop it, then resume',
      );
    }
  }

  /** Joins the workers sharing a study (refused while a single search process holds its lease). */
  joinStudy(studyId: number, me: WorkerId): void {
    this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      this.refuseIfLeased(studyId, me);
      const now = Date.now();
      this.driver.run(
        `INSERT INTO study_workers (worker, study_id, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (worker) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        [me.id, studyId, me.pid, me.host, now, now],
      );
    });
  }

  leaveStudy(me: WorkerId): void {
    if (this.driver.open) this.driver.run('DELETE FROM study_workers WHERE worker = ?', [me.id]);
  }

  beatLease(studyId: number, me: WorkerId): void {
    const now = Date.now();
    this.driver.run('UPDATE workers SET heartbeat_at = ? WHERE study_id = ? AND worker = ?', [now, studyId, me.id]);
    this.driver.run('UPDATE study_workers SET heartbeat_at = ? WHERE worker = ?', [now, me.id]);
  }

  releaseLease(studyId: number, me: WorkerId): void {
    if (this.driver.open) this.driver.run('DELETE FROM workers WHERE study_id = ? AND worker = ?', [studyId, me.id]);
  }

  /** The live process searching a study, if any (a single search's, else the first sharing worker's). */
  activeWorker(studyId: number): { pid: number; host: string; since: number } | null {
    const cur = this.driver.get<{ pid: number; host: string; started_at: number; heartbeat_at: number }>(
      'SELECT * FROM workers WHERE study_id = ?',
      [studyId],
    );
    if (cur && workerAlive(cur.host, cur.pid, cur.heartbeat_at))
      return { pid: cur.pid, host: cur.host, since: cur.started_at };
    const sharing = this.sharingWorkers(studyId)[0];
    return sharing ? { pid: sharing.pid, host: sharing.host, since: sharing.since } : null;
  }

  // ---- one-off phases -------------------------------------------------------------------

  /**
   * Claims a one-off phase of a study (a strategy's prepare: a supernet's training) for one
   * worker: 'mine' (run it, then finishPhase), 'done' (another worker ran it), or 'busy' (another
   * live worker is running it: wait). A claimer whose heartbeat lapsed loses it to the next asker.
   */
  claimPhase(studyId: number, name: string, me: WorkerId, staleMs: number): 'mine' | 'done' | 'busy' {
    return this.driver.transaction(() => {
      this.driver.lockStudy(studyId);
      const now = Date.now();
      const cur = this.driver.get<{ state: string; worker: string; heartbeat_at: number }>(
        'SELECT state, worker, heartbeat_at FROM study_phases WHERE study_id = ? AND name = ?',
        [studyId, name],
      );
      if (cur?.state === 'done') return 'done';
      if (cur && cur.worker !== me.id) {
        const w = parseWorker(cur.worker);
        const alive =
          w && w.host === os.hostname()
            ? pidAlive(w.pid) && now - cur.heartbeat_at < staleMs
            : now - cur.heartbeat_at < staleMs;
        if (alive) return 'busy';
      }
      this.driver.run(
        `INSERT INTO study_phases (study_id, name, state, worker, heartbeat_at) VALUES (?, ?, 'running', ?, ?)
        ON CONFLICT (study_id, name) DO UPDATE SET worker = excluded.worker, heartbeat_at = excluded.heartbeat_at`,
        [studyId, name, me.id, now],
      );
      return 'mine';
    });
  }

  beatPhase(studyId: number, name: string, me: WorkerId): void {
    this.driver.run('UPDATE study_phases SET heartbeat_at = ? WHERE study_id = ? AND name = ? AND worker = ?', [
      Date.now(),
      studyId,
      name,
      me.id,
    ]);
  }

  /** Gives a claimed phase up unfinished, so that the next claim gets it (a lock: the workers' ask lock). */
  releasePhase(studyId: number, name: string, me: WorkerId): void {
    if (this.driver.open)
      this.driver.run('DELETE FROM study_phases WHERE study_id = ? AND name = ? AND worker = ?', [
        studyId,
        name,
        me.id,
      ]);
  }

  finishPhase(studyId: number, name: string, me: WorkerId): void {
    this.driver.run(
      "UPDATE study_phases SET state = 'done', heartbeat_at = ? WHERE study_id = ? AND name = ? AND worker = ?",
      [Date.now(), studyId, name, me.id],
    );
  }
}
