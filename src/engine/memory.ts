// Memory scopes in the style of TensorFlow.js: every tensor made inside tidy(fn) is disposed
// when fn returns, except what fn returns and what was keep()-ed. Native memory is freed
// deterministically; the addon's finalizer only catches what slips through.
import { native } from './binding';

/** Anything a scope can own and free: tensors, and later other native resources. */
export abstract class Tracked {
  /** Once kept, no scope disposes this; only an explicit dispose() does. */
  kept = false;
  abstract get isDisposed(): boolean;
  abstract dispose(): void;
}

type Scope = Tracked[];
const scopes: Scope[] = [];

/** Called by every constructor of a tracked resource: the innermost scope adopts it. */
export function track<T extends Tracked>(r: T): T {
  const top = scopes[scopes.length - 1];
  if (top) top.push(r);
  return r;
}

/** Exempts resources from every enclosing scope; returns its argument. */
export function keep<T>(value: T): T {
  visit(value, (r) => {
    r.kept = true;
  });
  return value;
}

/** Disposes every tensor found in value (a tensor, an array, or an object of them). Safe twice. */
export function dispose(value: unknown): void {
  visit(value, (r) => r.dispose());
}

/**
 * Runs fn in a new scope. Tensors created inside are disposed when it returns, except those
 * in its result (moved to the enclosing scope) and kept ones. fn must be synchronous: an async
 * function would return before its tensors are made.
 */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(a: string | (() => T), b?: () => T): T {
  const fn = (typeof a === 'function' ? a : b) as () => T;
  const name = typeof a === 'string' ? a : 'tidy';
  const scope: Scope = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const r of scope) if (!r.kept) r.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const r of scope) if (!r.kept) r.dispose();
    throw new Error(`${name}: tidy() cannot run an async function; await outside and tidy the synchronous parts`);
  }
  const survivors = new Set<Tracked>();
  visit(result, (r) => survivors.add(r));
  const parent = scopes[scopes.length - 1];
  for (const r of scope) {
    if (survivors.has(r)) {
      if (parent) parent.push(r);
    } else if (!r.kept) {
      r.dispose();
    }
  }
  return result;
}

/** Live native tensors and the bytes of their distinct storages. */
export function memory(): { liveTensors: number; liveBytes: number } {
  return native.memory();
}

function visit(value: unknown, f: (r: Tracked) => void, depth = 0): void {
  if (value == null || depth > 8) return;
  if (value instanceof Tracked) {
    f(value);
  } else if (Array.isArray(value)) {
    for (const v of value) visit(v, f, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) visit(v, f, depth + 1);
  } else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) visit(v, f, depth + 1);
  }
}
