// Server-sent events: each open page holds one stream; the server looks at the stamps of what the
// streams watch about once a second (one query per watched study, however many pages) and pushes
// `change` with the new version when something changed. Nothing is polled while no page is open.
import type { ServerResponse } from 'node:http';

export interface Watched {
  /** The version now (a change of what the pages show is a new version), or null when it is gone. */
  version(): number | null;
}

interface Channel {
  clients: Set<ServerResponse>;
  version: number | null;
  watched: Watched;
}

export class StudyEvents {
  private readonly channels = new Map<string, Channel>();
  private timer: NodeJS.Timeout | null = null;
  private pings: NodeJS.Timeout | null = null;

  constructor(private readonly pollMs: number) {}

  /** Opens a stream on `res` for the channel `key`; `since` is the version the page was drawn at. */
  open(key: string, watched: Watched, res: ServerResponse, since: number | null): void {
    let ch = this.channels.get(key);
    if (!ch) this.channels.set(key, (ch = { clients: new Set(), version: watched.version(), watched }));
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    // A change between the page's drawing and this stream: the page catches up at once.
    if (since !== null && ch.version !== null && ch.version !== since) send(res, ch.version);
    ch.clients.add(res);
    const channel = ch;
    res.on('close', () => {
      channel.clients.delete(res);
      if (!channel.clients.size) this.channels.delete(key);
      if (!this.channels.size) this.stop();
    });
    this.start();
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.pings = setInterval(() => {
      for (const ch of this.channels.values()) for (const res of ch.clients) res.write(': ping\n\n');
    }, 15_000);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.pings) clearInterval(this.pings);
    this.timer = this.pings = null;
  }

  /** Looks at every watched channel once; a failed look (a store gone away) is tried again next time. */
  poll(): void {
    for (const ch of this.channels.values()) {
      let v: number | null;
      try {
        v = ch.watched.version();
      } catch {
        continue;
      }
      if (v !== ch.version) {
        ch.version = v;
        if (v !== null) for (const res of ch.clients) send(res, v);
      }
    }
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    this.stop();
    for (const ch of this.channels.values()) for (const res of ch.clients) res.end();
    this.channels.clear();
  }
}

function send(res: ServerResponse, version: number): void {
  res.write(`event: change\ndata: ${JSON.stringify({ version })}\n\n`);
}
