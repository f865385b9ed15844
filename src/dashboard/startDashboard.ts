// The dashboard's server: a Fastify app over one store opened read-only. Pages of the studies, a
// study (updated live over server-sent events), a trial, a comparison; fragments and the trial
// grid's JSON for the page's script; the study's files. Safe by default: on a loopback address
// unless told otherwise, and bound to any other it asks every request for a token; it only reads.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FieldError } from '../io/fieldError';
import { escapeHtml } from '../report/escape';
import { StudyStore } from '../study/store';
import type { StudyRecord } from '../study/types';
import { TOKEN_COOKIE, cookieValue, isLoopback, newToken, requestToken, tokenMatches } from './access';
import { CLIENT_JS } from './client';
import { comparePage } from './comparePage';
import { ASSET_CSS, ASSET_JS, DASHBOARD_CSS, dashboardPage, notFoundPage } from './layout';
import { STUDIES_EVENTS, STUDIES_FRAGMENT, studiesPage, studiesTable } from './studiesPage';
import { StudyEvents } from './studyEvents';
import { RefusedPathError, readStudyFile, trialFiles } from './studyFiles';
import { chartsFragment, sectionsFragment, studyPage, summaryFragment } from './studyPage';
import { gridPage, gridQuery } from './trialGrid';
import { trialFragment, trialPage } from './trialPage';
import { StudyViews } from './studyView';

export interface DashboardOptions {
  /** The store: its location (opened read-only; it must exist), or a store already open (left open). */
  store: string | StudyStore;
  /** The address to listen on. Default 127.0.0.1 (this machine only). */
  host?: string;
  /** The port; 0 for any free one. Default 8080. */
  port?: number;
  /** The token requests must carry. Default: none on a loopback address, a new random one on any other. */
  token?: string;
  /** How often the server looks for changes of the studies pages watch, ms. Default 1000. */
  pollMs?: number;
}

export interface Dashboard {
  /** The address to open (with the port it got); a token, when needed, is not in it. */
  url: string;
  host: string;
  port: number;
  /** The token every request must carry, or null when none is asked (a loopback address). */
  token: string | null;
  /** Whether the token is the caller's (`token` given): then the banner never shows it. */
  tokenGiven: boolean;
  /** Where the store is, as it names itself. */
  store: string;
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;

/** Headers of every answer: no framing, no sniffing, no referrer (a URL may hold the token), scripts only from here. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const html = (reply: FastifyReply, body: string, status = 200) =>
  reply.code(status).type('text/html; charset=utf-8').send(body);

/** Starts a dashboard; resolves once it listens. Errors name the field at fault (`store`, `port`, `host`). */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? DEFAULT_HOST;
  const port = o.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new FieldError(
      'port',
      port,
      `\`port\` must be a whole number from 0 to 65535 (0: any free port), not ${port}`,
    );
  if (o.token !== undefined && o.token.length < 16)
    throw new FieldError('token', '(hidden)', 'a `token` must have at least 16 characters');
  const ownStore = typeof o.store === 'string';
  const store = typeof o.store === 'string' ? StudyStore.open(o.store, { readonly: true, mustExist: true }) : o.store;
  const token = o.token ?? (isLoopback(host) ? null : newToken());
  const views = new StudyViews(store);
  const events = new StudyEvents(o.pollMs ?? 1000);
  // Loaded when a dashboard starts, not when the package is imported.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false, forceCloseConnections: true, routerOptions: { maxParamLength: 2000 } });
  const where = store.file;
  let boundPort = port;

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (token === null) {
      // Without a token only this machine's names reach it: a page elsewhere that points its own name
      // at 127.0.0.1 (DNS rebinding) is refused.
      const name = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (isLoopback(name)) return;
      return html(
        reply,
        dashboardPage(
          { title: 'Refused', store: '' },
          `<h1>Refused</h1><p class="err404">This dashboard answers requests to a loopback address only, not to ${escapeHtml(name || 'no host')}.</p>`,
        ),
        403,
      );
    }
    const query = req.query as Record<string, string | undefined>;
    const cookieName = `${TOKEN_COOKIE}_${boundPort}`;
    const given = requestToken({
      query: typeof query.token === 'string' ? query.token : undefined,
      cookie: cookieValue(req.headers.cookie, cookieName),
      authorization: req.headers.authorization,
    });
    if (!tokenMatches(token, given)) {
      return html(
        reply,
        dashboardPage(
          { title: 'Token needed', store: '' },
          '<h1>This dashboard needs its token</h1><p class="err404">Open the address the dashboard printed when it started (it ends in <code>?token=…</code>).</p>',
        ),
        401,
      );
    }
    // A link with the token leaves it in a cookie, so that the page's own requests carry it.
    if (typeof query.token === 'string')
      reply.header('set-cookie', `${cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
  });

  const studyOr404 = (name: string, reply: FastifyReply): StudyRecord | null => {
    const s = views.study(name);
    if (s) return s;
    const names = store.studies().map((x) => x.name);
    void html(
      reply,
      notFoundPage(
        where,
        `No study '${name}' in ${where}.`,
        names.length
          ? `Its studies: ${names.map((n) => `<a href="/study/${encodeURIComponent(n)}">${escapeHtml(n)}</a>`).join(', ')}.`
          : 'It has no studies yet.',
      ),
      404,
    );
    return null;
  };
  const trialOr404 = (s: StudyRecord, n: string, reply: FastifyReply) => {
    const t = /^\d{1,9}$/.test(n) ? store.trialByNumber(s.id, Number(n)) : undefined;
    if (t) return t;
    void html(
      reply,
      notFoundPage(
        where,
        `Study '${s.name}' has no trial #${n}.`,
        `<a href="/study/${encodeURIComponent(s.name)}">Its trials</a>`,
      ),
      404,
    );
    return null;
  };
  type NameParams = FastifyRequest<{ Params: { name: string } }>;
  type TrialParams = FastifyRequest<{ Params: { name: string; n: string } }>;

  app.get(ASSET_CSS, (_req, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS));
  app.get(ASSET_JS, (_req, reply) => reply.type('text/javascript; charset=utf-8').send(CLIENT_JS));
  app.get('/favicon.ico', (_req, reply) => reply.code(204).send());

  app.get('/', (_req, reply) => html(reply, studiesPage(where, store.studies(), views)));
  app.get(STUDIES_FRAGMENT, (_req, reply) => html(reply, studiesTable(store.studies(), views)));
  app.get(STUDIES_EVENTS, (_req, reply) => {
    reply.hijack();
    let last = '';
    let version = 0;
    const watched = {
      version: () => {
        const key = store
          .studies()
          .map((s) => `${s.name}=${views.stamp(s).version}`)
          .join(',');
        if (key !== last) [last, version] = [key, version + 1];
        return version;
      },
    };
    events.open('studies', watched, reply.raw, null);
  });

  app.get('/study/:name', async (req: NameParams, reply) => {
    const s = studyOr404(req.params.name, reply);
    if (s) return html(reply, await studyPage(where, views.view(s)));
  });
  app.get(
    '/fragment/study/:name/:part',
    async (req: FastifyRequest<{ Params: { name: string; part: string } }>, reply) => {
      const s = studyOr404(req.params.name, reply);
      if (!s) return;
      const v = views.view(s);
      const part = req.params.part;
      if (part === 'summary') return html(reply, summaryFragment(v));
      if (part === 'charts') return html(reply, await chartsFragment(v));
      if (part === 'sections') return html(reply, await sectionsFragment(v));
      return html(reply, notFoundPage(where, `No part '${part}' of a study page.`, ''), 404);
    },
  );
  app.get('/fragment/study/:name/trial/:n', async (req: TrialParams, reply) => {
    const s = studyOr404(req.params.name, reply);
    const t = s && trialOr404(s, req.params.n, reply);
    if (s && t) return html(reply, await trialFragment(s, t, trialFiles(store, s, t.id)));
  });
  app.get('/api/study/:name/trials', (req: NameParams, reply) => {
    const s = views.study(req.params.name);
    if (!s) return reply.code(404).send({ error: `no study '${req.params.name}' in ${where}` });
    const v = views.view(s);
    return reply.send(gridPage(v.data.trials, s.objective.metric, gridQuery(req.query as Record<string, string>)));
  });
  app.get('/events/study/:name', (req: NameParams, reply) => {
    const s = studyOr404(req.params.name, reply);
    if (!s) return;
    const since = Number((req.query as { since?: string }).since);
    reply.hijack();
    const watched = { version: () => (views.study(s.name) ? views.stamp(s).version : null) };
    events.open(`study:${s.name}`, watched, reply.raw, Number.isInteger(since) ? since : null);
  });
  app.get('/study/:name/trial/:n', async (req: TrialParams, reply) => {
    const s = studyOr404(req.params.name, reply);
    const t = s && trialOr404(s, req.params.n, reply);
    if (s && t) return html(reply, await trialPage(where, s, t, trialFiles(store, s, t.id), views.stamp(s).version));
  });
  app.get('/study/:name/files/*', (req: FastifyRequest<{ Params: { name: string; '*': string } }>, reply) => {
    const s = studyOr404(req.params.name, reply);
    if (!s) return;
    const rel = req.params['*'];
    let file;
    try {
      file = readStudyFile(store, s, rel);
    } catch (e) {
      if (!(e instanceof RefusedPathError)) throw e;
      return html(
        reply,
        notFoundPage(where, `Refused: ${e.message}. Only the files of study '${s.name}' are served.`, ''),
        400,
      );
    }
    if (!file) return html(reply, notFoundPage(where, `Study '${s.name}' has no file '${rel}'.`, ''), 404);
    const base = file.name
      .split('/')
      .at(-1)!
      .replace(/[^A-Za-z0-9._-]/g, '_');
    return reply
      .type('application/octet-stream')
      .header('content-disposition', `attachment; filename="${base}"`)
      .send(file.data);
  });
  app.get('/compare', async (req, reply) => {
    const q = (req.query as { study?: string | string[] }).study;
    const names = q === undefined ? [] : Array.isArray(q) ? q : [q];
    const all = store.studies();
    const chosen = names.map((n) => all.find((s) => s.name === n)).filter((s): s is StudyRecord => !!s);
    const unknown = names.filter((n) => !all.some((s) => s.name === n));
    if (unknown.length)
      return html(
        reply,
        notFoundPage(
          where,
          `No study ${unknown.map((n) => `'${n}'`).join(', ')} in ${where}.`,
          '<a href="/compare">Choose studies</a>',
        ),
        404,
      );
    return html(reply, await comparePage(where, all, chosen, views));
  });
  app.setNotFoundHandler((req, reply) =>
    html(
      reply,
      notFoundPage(
        where,
        `Nothing at ${req.url.split('?')[0]} (the dashboard only reads: pages, fragments and files).`,
        '',
      ),
      404,
    ),
  );
  app.setErrorHandler((err, _req, reply) => {
    const msg = err instanceof Error ? err.message : String(err);
    return html(
      reply,
      dashboardPage({ title: 'Error', store: where }, `<h1>Error</h1><pre class="error">${escapeHtml(msg)}</pre>`),
      500,
    );
  });

  try {
    await app.listen({ host, port });
  } catch (err) {
    events.closeAll();
    await app.close().catch(() => undefined);
    if (ownStore) store.close();
    throw listenError(err, host, port);
  }
  const addr = app.server.address();
  boundPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${boundPort}/`,
    host,
    port: boundPort,
    token,
    tokenGiven: o.token !== undefined,
    store: where,
    close: async () => {
      events.closeAll();
      await app.close();
      if (ownStore) store.close();
    },
  };
}

/** A listen that failed, in words: the port in use, the address not this machine's. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE')
    return new FieldError(
      'port',
      port,
      `port ${port} on ${host} is in use (another server listens there): choose another \`port\`, or 0 for any free one`,
      { cause: err },
    );
  if (code === 'EACCES')
    return new FieldError(
      'port',
      port,
      `port ${port} on ${host} needs privileges this process lacks: choose a \`port\` above 1023`,
      { cause: err },
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new FieldError('host', host, `\`host\` ${host} is not an address of this machine (${code})`, { cause: err });
  return err;
}

/**
 * For people: how the dashboard is reached and whether it asks for a token. A token it made is
 * shown (the link to open); a token the caller gave never is (it may sit in a log the caller shares).
 */
export function dashboardBanner(d: Pick<Dashboard, 'store' | 'url' | 'host' | 'token' | 'tokenGiven'>): string[] {
  const lines = [`tsnas dashboard of ${d.store} (read-only) at ${d.url}`];
  if (d.token !== null && d.tokenGiven)
    lines.push(
      `${isLoopback(d.host) ? 'a token was given' : `${d.host} is not a loopback address`}: every request needs the token you gave (compared in constant time)`,
      `open: ${d.url}?token=… with the token you gave (or send it as an Authorization: Bearer header)`,
    );
  else if (d.token !== null)
    lines.push(
      `${d.host} is not a loopback address: every request needs the token (compared in constant time)`,
      `open: ${d.url}?token=${d.token}`,
    );
  else lines.push(`${d.host} is a loopback address: only this machine reaches it; no token is asked`);
  return lines;
}
