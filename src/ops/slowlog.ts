// src/ops/slowlog.ts: the slow log, as Redis's slowlog.c keeps it (SLOWLOG GET / LEN / RESET / HELP
// are src/commands/slowlog.ts).
// An entry, as SLOWLOG GET replies it (an array of 6):
//   id (integer, from 0, never reused, not reset by RESET), unix time in seconds, duration in
//   microseconds, the arguments (at most SLOWLOG_ARGS_MAX: past that the last one says
//   `... (N more arguments)`; each at most SLOWLOG_ARG_BYTES_MAX bytes, then `... (N more bytes)`),
//   the client's `ip:port`, the client's name ('' when none).
// Invariants:
// - A command is logged when slowlog-log-slower-than >= 0 and its duration >= it (0 logs every
//   command; negative turns the log off), and slowlog-max-len > 0; the log then keeps the newest
//   slowlog-max-len entries (trimmed on each push, as Redis does). Settings are read live, so
//   CONFIG SET applies at once.
// - Entries own copies of their bytes (a request's argument buffers may be reused); secrets are
//   logged as `(redacted)`: AUTH's arguments, HELLO's AUTH pair, CONFIG SET requirepass's value.

export const SLOWLOG_ARGS_MAX = 32; // SLOWLOG_ENTRY_MAX_ARGC
export const SLOWLOG_ARG_BYTES_MAX = 128; // SLOWLOG_ENTRY_MAX_STRING
export const SLOWLOG_DEFAULTS = { slowlogLogSlowerThan: 10_000, slowlogMaxLen: 128 } as const;
export const SLOWLOG_GET_COUNT_DEFAULT = 10;

/** The two settings, named as ServerConfig names them (a ServerConfig may be passed as is). */
export interface SlowlogSettings {
  slowlogLogSlowerThan: number; // µs; negative = off
  slowlogMaxLen: number;
}

export interface SlowlogClient {
  readonly address: string; // ip:port
  readonly name: string;
}

export interface SlowlogEntry {
  id: number;
  timestampS: number;
  durationUs: number;
  args: Buffer[];
  clientAddress: string;
  clientName: string;
}

const REDACTED = Buffer.from('(redacted)');
const SENSITIVE_CONFIGS: ReadonlySet<string> = new Set(['requirepass', 'masterauth']);

export class Slowlog {
  private entries: SlowlogEntry[] = []; // oldest first
  private nextId = 0;

  constructor(readonly settings: SlowlogSettings = { ...SLOWLOG_DEFAULTS }) {}

  /** Whether a command that took durationUs would be logged (cheap: dispatch asks first). */
  wants(durationUs: number): boolean {
    const threshold = this.settings.slowlogLogSlowerThan;
    return threshold >= 0 && durationUs >= threshold && this.settings.slowlogMaxLen > 0;
  }

  /** Logs the command if it was slow enough; returns whether it did. */
  maybeRecord(args: readonly Buffer[], durationUs: number, client: SlowlogClient, nowMs = Date.now()): boolean {
    if (!this.wants(durationUs)) return false;
    this.entries.push({
      id: this.nextId++,
      timestampS: Math.floor(nowMs / 1000),
      durationUs: Math.floor(durationUs),
      args: truncateArgs(redactArgs(args)),
      clientAddress: client.address,
      clientName: client.name,
    });
    const excess = this.entries.length - this.settings.slowlogMaxLen;
    if (excess > 0) this.entries.splice(0, excess);
    return true;
  }

  /** The newest `count` entries, newest first (count -1 = all). */
  newest(count: number): SlowlogEntry[] {
    const all = count < 0 ? this.entries.length : Math.min(count, this.entries.length);
    const result: SlowlogEntry[] = [];
    for (let index = this.entries.length - 1; result.length < all; index--) result.push(this.entries[index] as SlowlogEntry);
    return result;
  }

  length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }
}

/** Redis slowlogCreateEntry's argument trimming, on copies. */
export function truncateArgs(args: readonly Buffer[]): Buffer[] {
  const kept = Math.min(args.length, SLOWLOG_ARGS_MAX);
  const result: Buffer[] = [];
  for (let index = 0; index < kept; index++) {
    if (kept !== args.length && index === kept - 1) {
      result.push(Buffer.from(`... (${args.length - kept + 1} more arguments)`));
      break;
    }
    const arg = args[index] as Buffer;
    if (arg.length > SLOWLOG_ARG_BYTES_MAX) {
      const more = Buffer.from(`... (${arg.length - SLOWLOG_ARG_BYTES_MAX} more bytes)`);
      result.push(Buffer.concat([arg.subarray(0, SLOWLOG_ARG_BYTES_MAX), more]));
    } else {
      result.push(Buffer.from(arg));
    }
  }
  return result;
}

/** AUTH, HELLO ... AUTH u p, CONFIG SET requirepass v: the secrets become `(redacted)`. */
export function redactArgs(args: readonly Buffer[]): readonly Buffer[] {
  const name = args[0]?.toString('latin1').toLowerCase();
  if (name === 'auth') return args.map((arg, index) => (index === 0 ? arg : REDACTED));
  if (name === 'hello') {
    const redacted = [...args];
    for (let index = 2; index < args.length; index++) {
      if ((args[index] as Buffer).toString('latin1').toLowerCase() !== 'auth') continue;
      for (const secret of [index + 1, index + 2]) if (secret < args.length) redacted[secret] = REDACTED;
      index += 2;
    }
    return redacted;
  }
  if (name === 'config' && args[1]?.toString('latin1').toLowerCase() === 'set') {
    const redacted = [...args];
    for (let index = 2; index + 1 < args.length; index += 2) {
      if (SENSITIVE_CONFIGS.has((args[index] as Buffer).toString('latin1').toLowerCase())) redacted[index + 1] = REDACTED;
    }
    return redacted;
  }
  return args;
}

// ---- the slow log of a server --------------------------------------------------------------------

const slowlogs = new WeakMap<object, Slowlog>();

/** Makes `slowlog` the one SLOWLOG and dispatch use for this server (main.ts, at start). */
export function attachSlowlog(server: object, slowlog: Slowlog): void {
  slowlogs.set(server, slowlog);
}

/**
 * The server's slow log: its `slowlog` field when it has one (ServerState), else the attached one,
 * else one with default settings made on first use.
 */
export function slowlogOf(server: object): Slowlog {
  const own = (server as { slowlog?: unknown }).slowlog;
  if (own instanceof Slowlog) return own;
  let slowlog = slowlogs.get(server);
  if (slowlog === undefined) {
    slowlog = new Slowlog();
    slowlogs.set(server, slowlog);
  }
  return slowlog;
}
