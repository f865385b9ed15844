// A static file server of a folder on 127.0.0.1 (a free port), for the tests that load an exported
// web page in Chromium; records every path asked for.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

export function serveDir(dir: string, asked: string[] = []): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    asked.push(url);
    const rel = url === '/' ? 'index.html' : url.slice(1);
    const file = path.join(dir, rel);
    if (rel.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('Content-Type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The server's base URL, http://127.0.0.1:PORT/. */
export const serverUrl = (server: http.Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
