// Who may read the dashboard. On a loopback address only this machine's users reach it; bound to
// any other address it asks every request for the token printed at start (whichever interface the
// request came in on), compared in constant time so that the time of a refusal says nothing of it.
import * as crypto from 'node:crypto';

/** The cookie a browser keeps the token in after its first `?token=` link. */
export const TOKEN_COOKIE = 'tsnas_dashboard_token';

/** Addresses that only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A new token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** Whether `given` is the token; the comparison takes the same time wherever the two differ. */
export function tokenMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  // Digests of equal length, so that timingSafeEqual never throws on a length and the length leaks nothing.
  const a = crypto.createHash('sha256').update(token).digest();
  const b = crypto.createHash('sha256').update(given).digest();
  return crypto.timingSafeEqual(a, b);
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface TokenSources {
  query: string | undefined;
  cookie: string | undefined;
  authorization: string | undefined;
}

/** The token a request carries: `?token=`, then the cookie, then an `Authorization: Bearer` header. */
export function requestToken(s: TokenSources): string | undefined {
  if (s.query !== undefined) return s.query;
  if (s.cookie !== undefined) return s.cookie;
  const m = /^Bearer\s+(\S+)$/i.exec(s.authorization ?? '');
  return m ? m[1] : undefined;
}
