// A study as the dashboard shows it: the static report's data (buildReportData: trials, the
// strategy's stored and plug-in sections, the final training's marks), read once per change of the
// study's stamp and kept until the next, so that every page, fragment and grid request of one
// version reads the store once.
import type { ReportData, ReportTrial } from '../report/types';
import { buildReportData, reportTrial } from '../search/studyReport';
import type { StudyStore } from '../study/store';
import { isInterrupted, type StudyRecord } from '../study/types';
import { studyStamp, type StudyStamp } from './studyStamp';

export interface StudyView {
  study: StudyRecord;
  stamp: StudyStamp;
  /** Counts up by one at every change the server saw. */
  version: number;
  data: ReportData;
  /** Trials by number. */
  byNumber: Map<number, ReportTrial>;
  /** Failed because their process ended (not the trial's own fault). */
  interrupted: number;
  /** The trial target of the study's configuration, when it has one. */
  target: number | null;
  readAt: number;
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

  /** The study's record, or undefined when the store has none of that name. */
  study(name: string): StudyRecord | undefined {
    return this.store.getStudy(name);
  }

  /** The study's stamp now, and its version (a new stamp is a new version). */
  stamp(study: StudyRecord): { stamp: StudyStamp; version: number } {
    const stamp = studyStamp(this.store, study.id);
    let seen = this.seen.get(study.name);
    if (!seen || seen.key !== stamp.key) {
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
      list = { version, trials: this.store.trials(study.id).map(reportTrial) };
      this.lists.set(study.name, list);
    }
    return { stamp, version, trials: list.trials };
  }

  /** The study as of now (read again only when its stamp changed). */
  view(study: StudyRecord): StudyView {
    const { stamp, version } = this.stamp(study);
    const last = this.views.get(study.name);
    if (last && last.version === version) return last;
    const data = buildReportData(this.store, study);
    const target = (study.config as { trials?: unknown }).trials;
    const view: StudyView = {
      study,
      stamp,
      version,
      data,
      byNumber: new Map(data.trials.map((t) => [t.number, t])),
      interrupted: data.trials.filter(isInterrupted).length,
      target: typeof target === 'number' ? target : null,
      readAt: Date.now(),
      drawn: new Map(),
    };
    this.views.set(study.name, view);
    return view;
  }
}
