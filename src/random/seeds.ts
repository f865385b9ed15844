// Seeds derived from a study's seed and a position (trial index, purpose), so that a strategy's
// n-th proposal depends only on (seed, n, the trials before it): nothing to checkpoint, and a
// resumed study draws exactly what an uninterrupted one would have drawn.
import { Rng } from './rng';

/** Mixes integers into one 32-bit seed (murmur3's finaliser over a running hash). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let k = Math.imul((p >>> 0) ^ Math.floor(p / 4294967296), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h = Math.imul(h ^ Math.imul(k, 0x1b873593), 5) + 0xe6546b64;
    h = (h << 13) | (h >>> 19);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A generator for one purpose at one position of a seeded study. */
export function rngFor(...parts: number[]): Rng {
  return new Rng(deriveSeed(...parts));
}

/** A stable 32-bit hash of a string (FNV-1a), e.g. to key a seed by an architecture or a name. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The largest seed: the generators take 32-bit seeds, so a larger one would silently draw what a
 * smaller one draws (4294967296 what 0 draws). Every seed a user gives is checked against it.
 */
export const MAX_SEED = 0xffffffff;

/** What a valid seed is, for error messages. */
export const SEED_RANGE = `an integer from 0 to ${MAX_SEED} (2^32 - 1)`;

/**
 * A seed as a user wrote it (decimal digits), or an error naming `where` it was given. Only
 * seeds that draw differently from every other are accepted: digits beyond what a number holds
 * exactly (99999999999999999999) or seeds of 2^32 and above are refused, not wrapped.
 */
export function parseSeed(text: string, where: string): number {
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!(n <= MAX_SEED))
    throw new Error(
      `${where} must be ${SEED_RANGE}, got '${text}'` +
        (/^\d+$/.test(t) ? ': the generators take 32-bit seeds, so a larger one would repeat a smaller one' : ''),
    );
  return n;
}
