// Sobol' sequences with Joe-Kuo direction numbers (up to 1024 dimensions), optionally scrambled
// by a random linear matrix scramble plus a random digital shift (Matousek 1998; what SciPy's
// qmc.Sobol does with scramble=True). Points come in Gray-code order (Antonov-Saleev), 32 bits.
// A scrambled sequence keeps the net property: the first 2^m points put exactly one point in
// each of the 2^m equal intervals of every coordinate.
import { JOE_KUO } from './sobolDirections';
import { Rng } from '../random/rng';

const BITS = 32;
export const SOBOL_MAX_DIM = JOE_KUO.length + 1;

/** Direction numbers V[dim][bit] (bit 0 = most significant), as unsigned 32-bit integers. */
function directions(dim: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (let j = 0; j < dim; j++) {
    const v = new Uint32Array(BITS);
    if (j === 0) {
      for (let i = 0; i < BITS; i++) v[i] = 2 ** (BITS - 1 - i);
    } else {
      const [s, a, ...m] = JOE_KUO[j - 1]!.split(' ').map(Number) as number[];
      for (let i = 0; i < Math.min(s!, BITS); i++) v[i] = (m[i]! * 2 ** (BITS - 1 - i)) >>> 0;
      for (let i = s!; i < BITS; i++) {
        let x = (v[i - s!]! ^ (v[i - s!]! >>> s!)) >>> 0;
        for (let k = 1; k < s!; k++) if ((a! >>> (s! - 1 - k)) & 1) x = (x ^ v[i - k]!) >>> 0;
        v[i] = x;
      }
    }
    out.push(v);
  }
  return out;
}

export interface SobolOptions {
  /** Scramble (linear matrix scramble + digital shift). Default true. */
  scramble?: boolean;
  seed?: number;
}

export class Sobol {
  readonly dim: number;
  #v: Uint32Array[];
  #x: Uint32Array;
  #index = 0;

  constructor(dim: number, o: SobolOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1 || dim > SOBOL_MAX_DIM)
      throw new Error(`Sobol: dimension ${dim} is outside 1..${SOBOL_MAX_DIM}`);
    this.dim = dim;
    this.#v = directions(dim);
    this.#x = new Uint32Array(dim);
    if (o.scramble ?? true) {
      const rng = new Rng(o.seed ?? 0);
      for (let j = 0; j < dim; j++) {
        // Lower-triangular random matrix L with unit diagonal; row i as a bit mask over columns <= i
        // (bit 31 - c for column c). Scrambled digit i of v = parity(L_i & v).
        const rows = new Uint32Array(BITS);
        for (let i = 0; i < BITS; i++) {
          const below = i === 0 ? 0 : (rng.uint32() & ~(2 ** (BITS - i) - 1)) >>> 0; // columns < i
          rows[i] = (below | (2 ** (BITS - 1 - i))) >>> 0;
        }
        const v = this.#v[j]!;
        for (let b = 0; b < BITS; b++) {
          let out = 0;
          for (let i = 0; i < BITS; i++) if (parity((rows[i]! & v[b]!) >>> 0)) out += 2 ** (BITS - 1 - i);
          v[b] = out >>> 0;
        }
        this.#x[j] = rng.uint32(); // digital shift: the first point is the shift itself
      }
    }
  }

  /** The number of points drawn so far. */
  get index(): number {
    return this.#index;
  }

  /** The next point in [0, 1)^dim. */
  next(): number[] {
    const out = new Array<number>(this.dim);
    if (this.#index > 0) {
      // Gray code: flip the direction of the lowest zero bit of index - 1.
      let c = 0;
      let n = this.#index - 1;
      while (n & 1) {
        n >>>= 1;
        c++;
      }
      if (c >= BITS) throw new Error('Sobol: more than 2^32 points');
      for (let j = 0; j < this.dim; j++) this.#x[j] = (this.#x[j]! ^ this.#v[j]![c]!) >>> 0;
    }
    for (let j = 0; j < this.dim; j++) out[j] = this.#x[j]! / 2 ** BITS;
    this.#index++;
    return out;
  }

  /** n points, each an array of dim numbers. */
  take(n: number): number[][] {
    return Array.from({ length: n }, () => this.next());
  }
}

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}
