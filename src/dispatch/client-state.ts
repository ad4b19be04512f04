// src/dispatch/client-state.ts: what the server knows about one connected client, apart from its socket:
// identity (id, name, lib), session (db, protocol, authenticated, reply mode) and transaction state.
// Commands read and change it through CommandContext.client; the connection owns the socket side
// and exposes only the view below (so commands never touch sockets).
// Invariants:
// - id is unique for the life of the process and increases with each accepted connection.
// - db is always in 0 .. databases-1; protocol is 2 or 3.
// - multi is set from MULTI until EXEC / DISCARD / RESET; while set, dispatch queues commands
//   (transactions.ts owns the queue's contents and EXEC).
// - subscribed is true exactly while subscriptions holds a channel, pattern or shard channel
//   (pubsub.ts keeps both, and the server's side).
import type { Socket } from 'node:net';
import { SLAB_BYTES, type RespReader } from '../../protocol/index.js';

/** What a command may ask of the connection behind a client (CLIENT KILL, CLIENT LIST, QUIT). */
/** A reply produced in parts (dispatch/reply-stream.ts holds its contract). */
export interface ReplyStream {
  /** Writes the next part of the reply to the command's ctx.out; true once the reply is complete. */
  step(): boolean;
  /** Frees what the reply reads; called exactly once (complete, or its client gone). */
  close(): void;
}

export interface ConnectionView {
  closeAfterReply(): void; // QUIT, CLIENT KILL on itself: answer pending replies, then close
  destroy(reason: string): void; // CLIENT KILL: close now
  socketFd(): number; // the socket's file descriptor, -1 where the platform does not expose it
  queryBufferBytes(): number; // input not yet parsed into a command
  queryBufferFreeBytes(): number; // room left in the memory holding the input
  replyBytesPending(): number;
  commandsPending(): number;
  /**
   * MONITOR lines, Pub/Sub messages: queued after what is already pending; with `wait`, not sent
   * before it settles and dropped if it rejects (a message about writes that did not commit).
   */
  sendOutOfBand(bytes: Buffer, wait?: Promise<unknown>): void;
  /**
   * The end of a wait (dispatch/blocking.ts): runs work as the blocked command's second half; what
   * it writes is that command's reply, held until the commit work returns. Then the client's
   * input, held while it was blocked, is processed again (unless work blocked it again).
   */
  runUnblocked(work: () => Promise<void> | undefined): void;
  /** The running command's reply comes in parts from stream (dispatch/reply-stream.ts); absent where it cannot. */
  streamReply?(stream: ReplyStream): void;
  /**
   * PSYNC (src/replication/): no more commands run; once every reply owed is written, the client
   * is released and take gets the socket and the reader (with the input not yet parsed); the sink
   * take returns gets every later read (socket-reader.ts contract).
   */
  handOver(take: (socket: Socket, reader: RespReader) => (chunk: Buffer) => boolean): void;
}

/** A client blocked by BLPOP & co.; dispatch/blocking.ts owns the rest of it. */
export interface BlockedWait {
  readonly keyCount: number;
}

/** A client's Pub/Sub subscriptions, each name as a latin1 string (one char per byte) -> its bytes. */
export interface ClientSubscriptions {
  readonly channels: Map<string, Buffer>;
  readonly patterns: Map<string, Buffer>;
  readonly shardChannels: Map<string, Buffer>;
}

/** What Redis adds per queued argument to multi-mem: one pointer (sizeof(robj *)). */
const ARGUMENT_REFERENCE_BYTES = 8;

/** A command queued by MULTI: its command-table entry by index (commandAt), so this file needs no table type. */
export interface QueuedCommand {
  entryIndex: number;
  isWrite: boolean;
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
  /** Pub/Sub mode (Redis's CLIENT_PUBSUB): in RESP2 only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET run. */
  subscribed = false;
  subscriptions: ClientSubscriptions | undefined = undefined;
  /** EXEC is running this client's queued commands (Redis's CLIENT_DENY_BLOCKING during EXEC). */
  inExec = false;
  lastCommand = 'NULL';
  multi: MultiState | undefined = undefined;
  /** WATCH: keys (db:hex) this client watches; transactions.ts owns its meaning. */
  watchedKeys: Set<string> | undefined = undefined;
  /** Set while a blocking command waits (dispatch/blocking.ts): the client runs nothing else. */
  blocked: BlockedWait | undefined = undefined;
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

  /** Redis's getClientType for CLIENT LIST / CLIENT KILL TYPE and the output buffer limit class. */
  type(): 'normal' | 'pubsub' {
    return this.subscribed ? 'pubsub' : 'normal';
  }

  /** Memory of the commands queued by MULTI as Redis counts it (mstate.argv_len_sums): each argument's bytes and one reference. */
  multiBytes(): number {
    let bytes = 0;
    for (const command of this.multi?.queued ?? []) for (const arg of command.args) bytes += arg.length + ARGUMENT_REFERENCE_BYTES;
    return bytes;
  }

  /**
   * One line of CLIENT LIST / CLIENT INFO, fields as Redis 7.2 prints them. The memory fields mean
   * what Redis's mean (getClientMemoryUsage): qbuf + qbuf-free is the query buffer's memory, rbs
   * the reply buffer each client keeps (the writer's slab), omem the replies not yet written to
   * the kernel; tot-mem is their sum plus multi-mem.
   */
  describe(nowMs: number): string {
    const flags = (this.monitoring ? 'O' : '') + (this.subscribed ? 'P' : '') + (this.multi ? 'x' : '') + (this.blocked ? 'b' : '') + (this.noEvict ? 'e' : '') + (this.noTouch ? 'T' : '') || 'N';
    const subscriptions = this.subscriptions;
    const { connection } = this;
    const queryBytes = connection.queryBufferBytes();
    const queryFreeBytes = connection.queryBufferFreeBytes();
    const replyBytes = connection.replyBytesPending();
    const multiBytes = this.multiBytes();
    const totalBytes = queryBytes + queryFreeBytes + SLAB_BYTES + replyBytes + multiBytes;
    const fields = [
      `id=${this.id}`, `addr=${this.address}`, `laddr=${this.localAddress}`, `fd=${connection.socketFd()}`, `name=${this.name}`,
      `age=${Math.floor((nowMs - this.createdAtMs) / 1000)}`, `idle=${Math.floor((nowMs - this.lastInteractionMs) / 1000)}`,
      `flags=${flags}`, `db=${this.db}`, `sub=${subscriptions?.channels.size ?? 0}`, `psub=${subscriptions?.patterns.size ?? 0}`,
      `ssub=${subscriptions?.shardChannels.size ?? 0}`, `multi=${this.multi ? this.multi.queued.length : -1}`,
      `qbuf=${queryBytes}`, `qbuf-free=${queryFreeBytes}`, `argv-mem=0`, `multi-mem=${multiBytes}`, `rbs=${SLAB_BYTES}`, `rbp=0`,
      `obl=0`, `oll=0`, `omem=${replyBytes}`, `tot-mem=${totalBytes}`, `events=r`,
      `cmd=${this.lastCommand}`, `user=default`, `redir=-1`, `resp=${this.protocol}`,
      `lib-name=${this.libName}`, `lib-ver=${this.libVersion}`,
    ];
    return fields.join(' ');
  }
}
