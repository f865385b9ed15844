// Element types the engine exposes, and the typed arrays that carry them to and from JavaScript.
import type { DTypeName } from './binding';

export type DType = DTypeName;
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int64', 'int32', 'uint8', 'bool'];

export type TypedArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** The dtype a typed array holds when none is given. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Converts plain numbers into the typed array of a dtype. */
export function arrayForDtype(values: ArrayLike<number>, dtype: DType): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32': {
      const out = Int32Array.from(values);
      for (let i = 0; i < values.length; i++) {
        if (out[i] !== Math.trunc(values[i]!))
          throw new RangeError(`value ${values[i]} at index ${i} does not fit in int32`);
      }
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = BigInt(Math.trunc(values[i]!));
      return out;
    }
    case 'uint8':
      return Uint8Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new Error(`unknown dtype '${String(dtype)}' (valid: float32, float64, int64, int32, uint8, bool)`);
  }
}
