// Typed keys of a study's key-value state (strategy checkpoints, report views, the final network).
// A key names one JSON value and its type, declared once beside the code that owns it, so a
// reader and a writer cannot disagree on its spelling or its shape.

export interface StateKey<T> {
  /** The key in the store's strategy_state table, e.g. 'dnas.records'. */
  readonly name: string;
  /** Carries T for the type checker only; never set. */
  readonly valueType?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}
