// A study as the dashboard shows it: the static report's data (buildReportData: trials, the
// strategy's stored and plug-in sections, the final training's marks), read once per change of the
// study's stamp and kept until the next, so that every page, fragment and grid request of one
// version reads the store once.
import type { ReportData, ReportTrial } from '../report/types';
import { buildReportData, reportTrial } from '../search/studyReport';
import type { StudyStore } from '../study/store';
import { loadSpace } from '../space/registry';
import type { Space } from '../space/types';
import { isInterrupted, type StudyRecord, type TrialRecord } from '../study/types';
import { studyStamp, type StudyStamp } from './studyStamp';

/** How stale the strategy's sections may get while trials stream in (ms). */
export const EXTRAS_MS = 10_000;

export interface StudyView {
  study: StudyRecord;
  stamp: StudyStamp;
  /** Counts up by one at every change the server saw. */
  version: number;
  data: ReportData;
  /** Failed because their process ended (not the trial's own fault). */
  interrupted: number;
  /** When the strategy's sections and marks were built. */
  extrasAt: number;
  /** Whether trials changed since (they are rebuilt EXTRAS_MS after the last build). */
  extrasBehind: boolean;
  /** Parts of the page drawn from this version (charts take a while), by name: drawn once per version. */
  drawn: Map<string, Promise<string>>;
}

/** A part of the page of this version, drawn on first use and kept with it. */
export function drawnOnce(v: StudyView, part: string, draw: () => Promise<string>): Promise<string> {
  let p = v.drawn.get(part);
  if (!p) {
    p = draw();
    v.drawn.set(part, p);
    p.catch(() => v.drawn.delete(part));
  }
  return p;
}

/** Reads studies on demand and keeps the last read of each while its stamp holds. */
export class StudyViews {
  private readonly views = new Map<string, StudyView>();
  /** The last stamp seen of each study and its version. */
  private readonly seen = new Map<string, { key: string; version: number }>();

  constructor(private readonly store: StudyStore) {}

  /** Spaces by name or file, null where one cannot be read here (the trial then shows no choices). */
  private readonly spaces = new Map<string, Space | null>();

  /** A trial as the report shows it, with its choices when its space can be read (as buildReportData does). */
  private reportTrial(study: StudyRecord, t: TrialRecord): ReportTrial {
    const name = t.space ?? study.space;
    if (!this.spaces.has(name)) {
      try {
        this.spaces.set(name, loadSpace(name));
      } catch {
        this.spaces.set(name, null);
      }
    }
    return reportTrial(t, this.spaces.get(name));
  }

  /** The study's record, or undefined when the store has none of that name. */
  study(name: string): StudyRecord | undefined {
    return this.store.getStudy(name);
  }

  /** The study's stamp now, and its version (a new stamp is a new version). */
  stamp(study: StudyRecord): { stamp: StudyStamp; version: number } {
    const stamp = studyStamp(this.store, study.id);
    let seen = this.seen.get(study.name);
    const view = this.views.get(study.name);
    // Sections left behind by a change (not rebuilt then) are due: a new version rebuilds them.
    const due =
      !!view && view.extrasBehind && Date.now() - view.extrasAt >= EXTRAS_MS && view.version === seen?.version;
    if (!seen || seen.key !== stamp.key || due) {
      seen = { key: stamp.key, version: (seen?.version ?? 0) + 1 };
      this.seen.set(study.name, seen);
    }
    return { stamp, version: seen.version };
  }

  private readonly lists = new Map<string, { version: number; trials: ReportTrial[] }>();

  /** Only the study's trials (the list of studies: no strategy sections built), read again when its stamp changed. */
  trials(study: StudyRecord): { stamp: StudyStamp; version: number; trials: ReportTrial[] } {
    const { stamp, version } = this.stamp(study);
    const view = this.views.get(study.name);
    if (view?.version === version) return { stamp, version, trials: view.data.trials };
    let list = this.lists.get(study.name);
    if (list?.version !== version) {
      list = { version, trials: this.store.trials(study.id).map((t) => this.reportTrial(study, t)) };
      this.lists.set(study.name, list);
    }
    return { stamp, version, trials: list.trials };
  }

  /** The study as of now: read again when its stamp changed, only what changed (studyView's header says how). */
  view(study: StudyRecord): StudyView {
    const { stamp, version } = this.stamp(study);
    const last = this.views.get(study.name);
    if (last && last.version === version) return last;
    const now = Date.now();
    const trials = last
      ? this.updatedTrials(study, last, stamp)
      : this.store.trials(study.id).map((t) => this.reportTrial(study, t));
    // The strategy's sections and the final training's marks: built again when its state changed,
    // else at most every EXTRAS_MS while trials stream in (plug-ins may build them from the trials:
    // a full read); left behind, they are due EXTRAS_MS later even when nothing else changes (stamp()).
    const fresh = !last || last.stamp.stateKey !== stamp.stateKey || now - last.extrasAt >= EXTRAS_MS;
    const extras = fresh ? buildReportData(this.store, study) : last.data;
    const data: ReportData = { ...extras, trials };
    const view: StudyView = {
      study,
      stamp,
      version,
      data,
      interrupted: trials.filter(isInterrupted).length,
      extrasAt: fresh ? now : last.extrasAt,
      extrasBehind: !fresh,
      drawn: new Map(),
    };
    this.views.set(study.name, view);
    return view;
  }

  /**
   * The trials after a change, reading only those that can have changed: the ones running at the
   * last read and the ones numbered after it (a finished trial never changes, none is removed).
   */
  private updatedTrials(study: StudyRecord, last: StudyView, stamp: StudyStamp): ReportTrial[] {
    const trials = [...last.data.trials];
    const known = trials.length;
    const read = (n: number) => {
      const t = this.store.trialByNumber(study.id, n);
      return t ? this.reportTrial(study, t) : undefined;
    };
    for (let i = 0; i < known; i++)
      if (trials[i]!.state === 'running') trials[i] = read(trials[i]!.number) ?? trials[i]!;
    for (let n = known; n < stamp.trials; n++) {
      const t = read(n);
      if (t) trials.push(t);
    }
    // Numbers with gaps, or anything unexpected: read it all.
    if (trials.length !== stamp.trials || trials.some((t, i) => t.number !== i))
      return this.store.trials(study.id).map((t) => this.reportTrial(study, t));
    return trials;
  }
}
