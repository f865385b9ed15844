// A stored study's configuration as the search layer types it. The store keeps a study's
// configuration as plain JSON (the study layer knows no search configuration); what it holds is
// what completeConfig made (config.ts), so this is the one place that gives it its type. Option
// keys an older tsnas wrote are renamed to today's (the plug-in's `renamedOptions`), so a stored
// study resumes, finalizes and reports as it was created.
import type { StudyRecord } from '../study/types';
import type { SearchConfig } from './config';
import { currentOptionKeys, getStrategy, strategyNames } from './registry';

export function studyConfig(study: Pick<StudyRecord, 'config'>): SearchConfig {
  const config = study.config as unknown as SearchConfig;
  // A strategy this tsnas does not know keeps its options as stored (its study still reports).
  if (!strategyNames().includes(config.strategy)) return config;
  const options = currentOptionKeys(getStrategy(config.strategy), config.options) as Record<string, unknown>;
  return options === config.options ? config : { ...config, options };
}
