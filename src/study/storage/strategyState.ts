// A study's key-value state in an SQL store (strategy_state: typed keys, JSON values): what a
// strategy keeps across a crash, one upsert per key (atomic).
import type { StateKey } from '../stateKey';
import { StorePart } from './storePart';

/** Its statements (SQL both dialects parse; a driver prepares each on first use). */
const STATEMENTS = {
  getState: 'SELECT value FROM strategy_state WHERE study_id = ? AND key = ?',
  setState: `INSERT INTO strategy_state (study_id, key, value, updated_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (study_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
};

/** Strategy state by typed key. */
export class StateTable extends StorePart {
  getState<T>(studyId: number, key: StateKey<T>): T | undefined {
    const r = this.driver.get<{ value: string }>(STATEMENTS.getState, [studyId, key.name]);
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setState<T>(studyId: number, key: StateKey<T>, value: T): void {
    this.driver.run(STATEMENTS.setState, [studyId, key.name, JSON.stringify(value), Date.now()]);
  }

  stateKeys(studyId: number): Array<{ key: string; updatedAt: number }> {
    return this.driver
      .all<{ key: string; updated_at: number }>(
        'SELECT key, updated_at FROM strategy_state WHERE study_id = ? ORDER BY key',
        [studyId],
      )
      .map((r) => ({ key: r.key, updatedAt: r.updated_at }));
  }
}
