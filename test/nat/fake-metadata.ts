/**
 * A tiny GCE metadata server for the NAT startup script's tests: plain values under
 * /computeMetadata/v1/..., an ETag per value, `wait_for_change=true&last_etag=` long-polls that
 * answer when the value changes (or after `timeout_sec`), and a 403 without `Metadata-Flavor: Google`
 * as the real server does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = '/computeMetadata/v1/';

interface Waiter {
  path: string;
  res: http.ServerResponse;
  timer: NodeJS.Timeout;
}

export class FakeMetadata {
  readonly requests: string[] = [];
  private readonly values = new Map<string, string>();
  private readonly etags = new Map<string, number>();
  private waiters: Waiter[] = [];
  private server = http.createServer((req, res) => this.handle(req, res));

  constructor(initial: Record<string, string> = {}) {
    for (const [path, value] of Object.entries(initial)) this.set(path, value);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/computeMetadata/v1`;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.res.destroy();
    }
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Sets (or, with undefined, deletes) a value and answers the long-polls waiting on it. */
  set(path: string, value: string | undefined): void {
    if (value === undefined) this.values.delete(path);
    else this.values.set(path, value);
    this.etags.set(path, (this.etags.get(path) ?? 0) + 1);
    const [ready, waiting] = partition(this.waiters, (w) => w.path === path);
    this.waiters = waiting;
    for (const w of ready) {
      clearTimeout(w.timer);
      this.answer(w.path, w.res);
    }
  }

  /** Number of long-polls currently waiting. */
  get watching(): number {
    return this.waiters.length;
  }

  private etag(path: string): string {
    return `etag-${path.replace(/\W/g, '')}-${this.etags.get(path) ?? 0}`;
  }

  private answer(path: string, res: http.ServerResponse): void {
    const value = this.values.get(path);
    if (value === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/html' }).end('Not Found');
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'application/text', ETag: this.etag(path), 'Metadata-Flavor': 'Google' })
      .end(value);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://metadata');
    if (req.headers['metadata-flavor'] !== 'Google') {
      res.writeHead(403).end('Missing Metadata-Flavor:Google header.');
      return;
    }
    const path = url.pathname.slice(PREFIX.length);
    const waits = url.searchParams.get('wait_for_change') === 'true';
    if (!waits || !this.values.has(path) || url.searchParams.get('last_etag') !== this.etag(path)) {
      this.answer(path, res);
      return;
    }
    const seconds = Number(url.searchParams.get('timeout_sec') ?? '60');
    const timer = setTimeout(() => {
      this.waiters = this.waiters.filter((w) => w.res !== res);
      this.answer(path, res);
    }, seconds * 1000);
    this.waiters.push({ path, res, timer });
  }
}

function partition<T>(items: readonly T[], pred: (item: T) => boolean): [T[], T[]] {
  return [items.filter(pred), items.filter((i) => !pred(i))];
}
