// src/dispatch/client-state.ts: what the server knows about one connected client, apart from its socket:
// identity (id, name, lib), session (db, protocol, authenticated, reply mode) and transaction state.
// Commands read and change it through CommandContext.client; the connection owns the socket side
// and exposes only the view below (so commands never touch sockets).
// Invariants:
// - id is unique for the life of the process and increases with each accepted connection.
// - db is always in 0 .. databases-1; protocol is 2 or 3.
// - multi is set from MULTI until EXEC / DISCARD / RESET; while set, dispatch queues commands
//   (transactions.ts owns the queue's contents and EXEC).
import type { CommandEntry } from './command-table.js';

/** What a command may ask of the connection behind a client (CLIENT KILL, CLIENT LIST, QUIT). */
export interface ConnectionView {
  closeAfterReply(): void; // QUIT, CLIENT KILL on itself: answer pending replies, then close
  destroy(reason: string): void; // CLIENT KILL: close now
  queryBufferBytes(): number;
  replyBytesPending(): number;
  commandsPending(): number;
  sendOutOfBand(bytes: Buffer): void; // MONITOR lines: queued after what is already pending
}

export interface QueuedCommand {
  entry: CommandEntry;
  args: Buffer[];
}

/** MULTI state: the queued commands and whether a queue-time error makes EXEC abort. */
export interface MultiState {
  queued: QueuedCommand[];
  aborted: boolean;
}

export type ReplyMode = 'on' | 'off' | 'skip';

export class ClientState {
  readonly id: number;
  readonly address: string; // remote ip:port as CLIENT LIST prints it
  readonly localAddress: string;
  readonly createdAtMs: number;
  lastInteractionMs: number;
  db = 0;
  protocol: 2 | 3 = 2;
  name = '';
  libName = '';
  libVersion = '';
  authenticated: boolean;
  replyMode: ReplyMode = 'on';
  noEvict = false;
  noTouch = false;
  monitoring = false; // MONITOR: receives every command; may not touch the keyspace
  /** EXEC is running this client's queued commands (Redis's CLIENT_DENY_BLOCKING during EXEC). */
  inExec = false;
  lastCommand = 'NULL';
  multi: MultiState | undefined = undefined;
  /** WATCH: keys (db:hex) this client watches; transactions.ts owns its meaning. */
  watchedKeys: Set<string> | undefined = undefined;
  /** Set when a watched key changed; EXEC then answers null. */
  watchDirty = false;
  /** Free slot for command families that keep per-client state (e.g. transactions.ts). */
  readonly extensions = new Map<string, unknown>();
  connection: ConnectionView;

  constructor(options: { id: number; address: string; localAddress: string; authenticated: boolean; nowMs: number; connection: ConnectionView }) {
    this.id = options.id;
    this.address = options.address;
    this.localAddress = options.localAddress;
    this.authenticated = options.authenticated;
    this.createdAtMs = options.nowMs;
    this.lastInteractionMs = options.nowMs;
    this.connection = options.connection;
  }

  /** One line of CLIENT LIST / CLIENT INFO, fields as Redis 7.2 prints them. */
  describe(nowMs: number): string {
    const flags = (this.monitoring ? 'O' : '') + (this.multi ? 'x' : '') + (this.noEvict ? 'e' : '') + (this.noTouch ? 'T' : '') || 'N';
    const fields = [
      `id=${this.id}`, `addr=${this.address}`, `laddr=${this.localAddress}`, `fd=8`, `name=${this.name}`,
      `age=${Math.floor((nowMs - this.createdAtMs) / 1000)}`, `idle=${Math.floor((nowMs - this.lastInteractionMs) / 1000)}`,
      `flags=${flags}`, `db=${this.db}`, `sub=0`, `psub=0`, `ssub=0`, `multi=${this.multi ? this.multi.queued.length : -1}`,
      `qbuf=${this.connection.queryBufferBytes()}`, `qbuf-free=0`, `argv-mem=0`, `multi-mem=0`, `rbs=16384`, `rbp=0`,
      `obl=0`, `oll=0`, `omem=${this.connection.replyBytesPending()}`, `tot-mem=0`, `events=r`,
      `cmd=${this.lastCommand}`, `user=default`, `redir=-1`, `resp=${this.protocol}`,
      `lib-name=${this.libName}`, `lib-ver=${this.libVersion}`,
    ];
    return fields.join(' ');
  }
}
