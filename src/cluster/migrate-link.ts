// src/cluster/migrate-link.ts: MIGRATE's connections to target servers (Redis's migrate cached
// sockets, src/cluster.c migrateGetSocket): one per host:port, reused for MIGRATE_LINK_IDLE_MS,
// at most MIGRATE_LINKS_MAX of them (the least recently used is closed to make room). A link
// runs one exchange at a time: a batch of commands written at once, then one reply line per
// command read back (AUTH, SELECT, RESTORE answer one line each).
// Invariants:
// - An exchange ends, in every case, within timeoutMs of the last progress (connect, write
//   drained, a reply line): it resolves with the lines read and, if it stopped early, why
//   (connecting, writing or reading), as Redis's "-IOERR error or timeout <phase> ...".
// - A link that failed is closed and forgotten; the next exchange connects afresh. The SELECT
//   state (lastDb) lives and dies with its socket.
// - Sockets and timers are unref'd: a cached link never keeps the process alive.
import net from 'node:net';

export const MIGRATE_LINKS_MAX = 64;
export const MIGRATE_LINK_IDLE_MS = 10_000;
/** A reply line longer than this is not a line a RESTORE sends back: the link is dropped. */
export const MIGRATE_REPLY_LINE_BYTES_MAX = 64 * 1024;

export type MigratePhase = 'connecting' | 'writing' | 'reading';

export interface ExchangeResult {
  lines: string[];
  failure: MigratePhase | undefined;
  timedOut: boolean;
}

class Link {
  lastDb = -1;
  lastUseMs = Date.now();
  closed = false;
  private buffered: Buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined = undefined;
  private broken = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    const fail = () => {
      this.broken = true;
      this.wake?.();
    };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  /** Writes bytes, then reads count lines; see ExchangeResult. */
  async exchange(bytes: Buffer, count: number, timeoutMs: number): Promise<ExchangeResult> {
    const lines: string[] = [];
    let failure: MigratePhase | undefined;
    let timedOut = false;
    const progress = await this.waitFor(timeoutMs, () => false, (done) => {
      if (this.socket.write(bytes)) done();
      else this.socket.once('drain', done);
    });
    if (!progress.ok) return { lines, failure: 'writing', timedOut: progress.timedOut };
    while (lines.length < count && failure === undefined) {
      const line = this.takeLine();
      if (line !== undefined) {
        lines.push(line);
        continue;
      }
      if (this.buffered.length > MIGRATE_REPLY_LINE_BYTES_MAX) this.broken = true;
      const waited = await this.waitFor(timeoutMs, () => this.broken || this.hasLine(), () => undefined);
      if (!waited.ok) {
        failure = 'reading';
        timedOut = waited.timedOut;
      }
    }
    this.lastUseMs = Date.now();
    return { lines, failure, timedOut };
  }

  private hasLine(): boolean {
    return this.buffered.indexOf('\r\n') >= 0;
  }

  private takeLine(): string | undefined {
    const end = this.buffered.indexOf('\r\n');
    if (end < 0) return undefined;
    const line = this.buffered.subarray(0, end).toString('utf8');
    this.buffered = this.buffered.subarray(end + 2);
    return line;
  }

  /** Resolves ok once ready() holds or start's callback fires; not ok on a broken link or after timeoutMs. */
  private waitFor(timeoutMs: number, ready: () => boolean, start: (done: () => void) => void): Promise<{ ok: boolean; timedOut: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (ok: boolean, timedOut: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.wake = undefined;
        resolve({ ok, timedOut });
      };
      const timer = setTimeout(() => finish(false, true), timeoutMs);
      timer.unref();
      this.wake = () => {
        if (this.broken) finish(false, false);
        else if (ready()) finish(true, false);
      };
      if (this.broken) return finish(false, false);
      start(() => finish(!this.broken, false));
      if (ready() && !this.broken) finish(true, false);
    });
  }
}

export class MigrateLinks {
  private readonly links = new Map<string, Link>(); // host:port, least recently used first
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly linksMax = MIGRATE_LINKS_MAX,
    private readonly idleMs = MIGRATE_LINK_IDLE_MS,
  ) {}

  /**
   * Runs one exchange with host:port, after any other exchange with it. build receives the
   * link's selected db (-1: none yet) and returns the bytes, the reply lines to read and the db
   * selected once they are answered. A failure before the first reply line (not a timeout) is
   * retried once on a fresh connection, as Redis retries.
   */
  exchange(host: string, port: number, timeoutMs: number, build: (lastDb: number) => { bytes: Buffer; count: number; db: number }): Promise<ExchangeResult> {
    const name = `${host}:${port}`;
    const previous = this.queues.get(name) ?? Promise.resolve();
    const run = previous.then(async () => {
      let result = await this.attempt(name, host, port, timeoutMs, build);
      if (result.failure !== undefined && result.lines.length === 0 && !result.timedOut) result = await this.attempt(name, host, port, timeoutMs, build);
      return result;
    });
    const tail = run.catch(() => undefined);
    this.queues.set(name, tail);
    void tail.then(() => {
      if (this.queues.get(name) === tail) this.queues.delete(name);
    });
    return run;
  }

  closeAll(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
  }

  private async attempt(name: string, host: string, port: number, timeoutMs: number, build: (lastDb: number) => { bytes: Buffer; count: number; db: number }): Promise<ExchangeResult> {
    const link = await this.linkTo(name, host, port, timeoutMs);
    if (link === undefined) return { lines: [], failure: 'connecting', timedOut: false };
    const request = build(link.lastDb);
    const result = await link.exchange(request.bytes, request.count, timeoutMs);
    if (result.failure !== undefined) {
      link.close();
      this.links.delete(name);
    } else {
      link.lastDb = result.lines.every((line) => !line.startsWith('-')) ? request.db : -1; // Redis forgets it on any error
      this.links.delete(name); // re-insert: most recently used last
      this.links.set(name, link);
    }
    return result;
  }

  private async linkTo(name: string, host: string, port: number, timeoutMs: number): Promise<Link | undefined> {
    const now = Date.now();
    for (const [other, link] of this.links) {
      if (link.closed || now - link.lastUseMs > this.idleMs) {
        link.close();
        this.links.delete(other);
      }
    }
    const cached = this.links.get(name);
    if (cached !== undefined) return cached;
    if (this.links.size >= this.linksMax) {
      const [oldest, link] = this.links.entries().next().value as [string, Link];
      link.close();
      this.links.delete(oldest);
    }
    const socket = await connect(host, port, timeoutMs);
    if (socket === undefined) return undefined;
    const link = new Link(socket);
    this.links.set(name, link);
    return link;
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setNoDelay(true);
    socket.unref();
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
  });
}
