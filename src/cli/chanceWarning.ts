// The terminal's word when a study's every trial sits at chance level (src/train/chanceNote.ts),
// after a search and in `tsnas study show`: the same note as the report's first line.
import { dataSetClasses } from '../data/dataSource';
import { studyChanceNote, type ChanceTrial } from '../train/chanceNote';

/** 'warning: All 3 complete trials sit at chance level ...', or null. */
export function chanceWarning(
  study: { evaluator: string; data: string | null; objective: { metric: string } },
  trials: readonly ChanceTrial[],
): string | null {
  if (study.evaluator !== 'train' || !study.data) return null;
  const note = studyChanceNote(trials, study.objective.metric, dataSetClasses(study.data));
  return note ? `warning: ${note}` : null;
}
