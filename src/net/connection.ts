// src/net/connection.ts: one client socket. Reads requests, runs them through dispatch synchronously,
// and writes the replies back in order, each held until the commit it depends on is durable.
//
//   socket reads (socket-reader.ts) -> reader (bounded query buffer) -> dispatch (sync) -> writer bytes
//   replies: an ordered queue of segments { bytes, ready }; the ready prefix goes out in one write
//   per event-loop turn, after every socket of the turn was read (flushTurn); consecutive replies
//   waiting for the same commit share one segment (and one promise reaction)
//
// Invariants:
// - Replies leave in request order; a reply whose command staged writes (or that ran while an
//   earlier commit was pending) leaves only after that commit settles; a rejected commit turns
//   that reply into the MISCONF error.
// - Nothing awaits between two commands of one client: commits of many commands and many clients
//   share one fsync (the engine's group commit).
// - Bounds (config.limits): at most pipelineDepthMax commands waiting for a commit and at most
//   replyBytesPendingMax unflushed reply bytes; past either, reading pauses (a backpressure event)
//   until they drain. At most commandsPerTurnMax commands run per event-loop turn; then the
//   connection yields with setImmediate. The query buffer never exceeds queryBufferBytesMax.
// - After a protocol error, QUIT or CLIENT KILL on itself: no more commands run and nothing more is
//   read; pending replies are handed to the socket, then it is destroyed as soon as they are
//   flushed, or after limits.closeAfterReplyMs if they are not, whatever the peer does (Redis's
//   CLIENT_CLOSE_AFTER_REPLY: freeClientAsync once the reply is written). A peer that never
//   reads, never closes or keeps sending holds no fd, client slot or memory past that.
// - A peer's FIN (its write side closed) is the end of its input: the commands it sent before
//   it run and are answered, then the connection closes as after QUIT (Redis, too, writes those
//   replies before it reads the EOF).
// - The client is released (listener and clients map, MULTI/WATCH state, monitors, Pub/Sub
//   subscriptions, a blocked wait) exactly once: when the socket is destroyed here, or when it
//   closes on its own (peer reset, error).
// - Out-of-band output (MONITOR lines, Pub/Sub messages: sendOutOfBand) goes after what the
//   client is already owed, never inside a reply; a subscriber's unsent output is held to
//   client-output-buffer-limit pubsub (output-limit.ts), a monitor's to replyBytesPendingMax, and
//   anything's to outOfBandBytesPendingMax: past it the client is closed and counted.
// - A blocked client (BLPOP & co., dispatch/blocking.ts) runs nothing: its blocking command wrote
//   no reply, and the commands it sends after it stay in the reader (still bounded by
//   queryBufferBytesMax) until runUnblocked writes that reply, in its place among the replies,
//   and resumes processing. A FIN while blocked ends the wait unanswered and closes, as Redis
//   frees the client.
// - A streamed reply (dispatch/reply-stream.ts: its command called streamReply and wrote nothing)
//   runs nothing after it either, as a blocked client: later commands wait in the reader. Its
//   parts start once its command's reply is ready (a pending commit it waits for settled; if that
//   commit fails the reply is the MISCONF error and the stream is closed unread). A part is made
//   only while replyBytesPending() < limits.replyStreamBytesPendingMax, at most
//   replyStreamStepsPerTurnMax parts per turn; then it goes on after the socket's 'drain' or the
//   next turn's flush. So the memory for the reply stays under that bound plus one part. Each part
//   is checked against client-output-buffer-limit normal (a client past it is closed). The stream
//   is closed (its snapshot released) when its last part is made, or when the client goes.
//   Out-of-band output waits until the stream ends.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { BULK_COPY_BYTES_MIN, RespReader, RespWriter, RespProtocolError, type ReaderLimits } from '../../protocol/index.js';
import { ClientState, type ConnectionView, type ReplyStream } from '../dispatch/client-state.js';
import { lookupCommand, type CommandContext } from '../dispatch/command-table.js';
import { limits } from '../ops/config.js';
import { dispatch } from '../dispatch/dispatch.js';
import { commitFailureText, errorReplyBytes, LateReply, protocolErrorText } from '../dispatch/errors.js';
import { stopMonitoring } from '../dispatch/monitor.js';
import { forgetBlockedClient } from '../dispatch/blocking.js';
import { forgetClient } from '../dispatch/transactions.js';
import type { ServerState } from '../dispatch/server-state.js';
import { READ_BUFFER_BYTES, readInto } from './socket-reader.js';
import { OutputLimitWatch } from './output-limit.js';

interface Segment {
  bytes: Buffer;
  ready: boolean;
  commit: Promise<unknown> | undefined; // what a waiting segment waits for
  commandCount: number; // replies of a waiting segment: each becomes the MISCONF error if it fails
  extraBytes: number; // bytes right after `bytes` in the same memory that belong to it too (see bytesOf)
}

/** a and b as one Buffer: a view when b directly follows a in the same memory, else a copy. */
function joined(a: Buffer, b: Buffer): Buffer {
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) return Buffer.from(a.buffer, a.byteOffset, a.length + b.length);
  return Buffer.concat([a, b]);
}

/** The whole reply bytes of a segment (one view made once, not one per command). */
function bytesOf(segment: Segment): Buffer {
  if (segment.extraBytes > 0) {
    const { bytes } = segment;
    segment.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length + segment.extraBytes);
    segment.extraBytes = 0;
  }
  return segment.bytes;
}

/**
 * Replies are written once per event-loop turn, after every readable socket of the turn was read
 * and its commands run (Redis's beforeSleep -> handleClientsWithPendingWrites). Writing each reply
 * right after its read woke the client process once per socket: a perf profile of PING -P 16 put
 * 25% of the server's CPU in the loopback wakeup (sock_def_readable), against 7% for Redis.
 */
const flushQueue: Connection[] = [];
/** Commands whose frames pass CLIENT REPLY OFF / SKIP (see handleReply). */
const SUBSCRIPTION_COMMANDS: ReadonlySet<string> = new Set(['subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe']);
let flushTurnScheduled = false;

function flushTurn(): void {
  flushTurnScheduled = false;
  // a connection queued while this runs (a write completing, a commit settling) waits for the next turn
  const count = flushQueue.length;
  for (let index = 0; index < count; index++) (flushQueue[index] as Connection).flushQueuedReplies();
  flushQueue.splice(0, count);
}

export class Connection implements ConnectionView {
  readonly client: ClientState;
  private readonly reader: RespReader;
  private readonly writer: RespWriter;
  private readonly context: CommandContext;
  private readonly socket: Socket;
  private readonly segments: Segment[] = []; // in request order; a ready segment waits for those before it
  private waitingCount = 0; // segments not yet ready (commands waiting for a commit)
  private segmentBytes = 0; // bytes held in segments (replies built but not yet written to the socket)
  private closing = false; // no more commands; close once every reply is out
  private inputEnded = false; // the peer sent FIN: close once its last request is answered
  private closed = false; // nothing more is read or written
  private released = false; // the client is gone from the server (release ran)
  private closeTimer: NodeJS.Timeout | undefined; // closing: destroys the socket if the reply does not flush
  private readonly fd: number; // the socket's file descriptor (CLIENT LIST), -1 where unknown
  private yielding = false; // commandsPerTurnMax reached, continuing on setImmediate
  private stalled = false; // waiting for the engine's write room
  private pendingArgs: Buffer[] | undefined; // the command held while stalled
  private backpressured = false;
  private flushQueued = false; // in flushQueue, to be written at the end of this turn
  private authenticatedLimits: boolean;
  private running = false; // inside runCommand: out-of-band output for this client waits for its reply
  private deferredLines: Array<{ bytes: Buffer; wait: Promise<unknown> | undefined }> = [];
  private readonly outputWatch = new OutputLimitWatch();
  private softLimitTimer: NodeJS.Timeout | undefined; // re-checks a subscriber over its soft output limit
  private blockedReplyMode: ClientState['replyMode'] = 'on'; // CLIENT REPLY as the blocked command found it
  private handOverTo: Parameters<ConnectionView['handOver']>[0] | undefined; // PSYNC: who takes the socket
  private sink: ((chunk: Buffer) => boolean) | undefined; // after a hand-over: where reads go
  private stream: ReplyStream | undefined; // a reply streaming in parts: no command runs meanwhile
  private streamStarting = false; // streamReply ran in the current command: runCommand starts it
  private streamHeld = false; // its command's reply waits for a commit: parts wait too
  private streamPumpScheduled = false;

  constructor(
    private readonly server: ServerState,
    accepted: Socket, // paused, nothing read yet (the listener runs with pauseOnConnect)
    private readonly onClose: (connection: Connection) => void,
  ) {
    const authenticated = server.config.requirepass === '';
    this.client = new ClientState({
      id: server.allocateClientId(),
      address: `${accepted.remoteAddress ?? '?'}:${accepted.remotePort ?? 0}`,
      localAddress: `${accepted.localAddress ?? '?'}:${accepted.localPort ?? 0}`,
      authenticated,
      nowMs: Date.now(),
      connection: this,
    });
    this.authenticatedLimits = authenticated;
    this.fd = socketFd(accepted); // readInto keeps the handle, so the fd stays the same
    this.reader = new RespReader(this.readerLimits(authenticated));
    this.writer = new RespWriter();
    this.context = { server, client: this.client, out: this.writer };
    this.socket = readInto(accepted, (chunk) => this.onData(chunk));
    this.socket.setNoDelay(true);
    if (server.config.tcpKeepalive > 0) this.socket.setKeepAlive(true, server.config.tcpKeepalive * 1000);
    this.socket.on('drain', () => {
      if (this.stream !== undefined) this.pumpStream();
      this.updateReading();
    });
    this.socket.on('error', () => this.destroy('socket error'));
    this.socket.on('end', () => this.onPeerEnd());
    this.socket.on('close', () => this.release());
  }

  /** The peer's FIN: run what is left of its input (process closes once it runs out). */
  private onPeerEnd(): void {
    this.inputEnded = true;
    if (this.client.blocked !== undefined) {
      // Redis frees a blocked client at EOF: its wait ends unanswered (no element is taken for a
      // peer that left), nothing sent after it runs, and earlier replies still go out before the close
      forgetBlockedClient(this.server, this.client);
      this.closing = true;
      this.updateReading();
      return;
    }
    if (!this.closing && !this.closed) this.process();
  }

  /** Forgets the client everywhere, once: the listener's set and clients map, MULTI/WATCH, MONITOR. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.closed = true;
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    if (this.softLimitTimer !== undefined) clearTimeout(this.softLimitTimer);
    if (this.stream !== undefined) {
      this.server.stats.replyStreamsAborted++;
      this.closeStream();
    }
    forgetClient(this.client, this.server.keyspace); // MULTI queue, WATCH registry
    stopMonitoring(this.server, this.client);
    this.server.pubsub.unsubscribeAll(this.client);
    forgetBlockedClient(this.server, this.client);
    this.onClose(this);
  }

  private readerLimits(authenticated: boolean): ReaderLimits {
    const base = { inlineBytesMax: limits.headerBytesMax, bulkBytesMax: this.server.config.protoMaxBulkLen, argsMax: limits.argumentsMax };
    if (authenticated) return base;
    return { ...base, unauthenticated: { argsMax: limits.unauthenticatedArgumentsMax, bulkBytesMax: limits.unauthenticatedBulkBytesMax } };
  }

  // ConnectionView, for commands (QUIT, CLIENT KILL, CLIENT LIST)
  closeAfterReply(): void {
    this.closing = true;
  }
  /** Closes the socket now (its fd with it) and releases the client; pending replies are dropped. */
  destroy(reason: string): void {
    if (!this.socket.destroyed) {
      this.server.logger.debug({ client: this.client.id, reason }, 'closing client');
      this.socket.destroy();
    }
    this.release();
  }
  socketFd(): number {
    return this.fd;
  }
  queryBufferBytes(): number {
    return this.reader.bufferedBytes();
  }
  /**
   * Room left in the memory holding this client's input: the buffer its reads land in
   * (READ_BUFFER_BYTES) plus what the reader keeps, less the bytes not yet parsed.
   */
  queryBufferFreeBytes(): number {
    return Math.max(0, READ_BUFFER_BYTES + this.reader.heldBytes() - this.reader.bufferedBytes());
  }
  replyBytesPending(): number {
    return this.socket.writableLength + this.writer.bytesPending() + this.segmentBytes;
  }
  commandsPending(): number {
    return this.waitingCount;
  }
  /** True once every reply has been handed to the socket (for shutdown). */
  idle(): boolean {
    return this.segments.length === 0 && this.writer.bytesPending() === 0 && !this.stalled && this.pendingArgs === undefined && this.stream === undefined;
  }

  /** True once every reply has left the process (shutdown waits for this). */
  drained(): boolean {
    return this.socket.destroyed || (this.idle() && this.socket.writableLength === 0);
  }

  /**
   * One read's bytes. Returns whether it still references them afterwards (see socket-reader.ts):
   * unparsed input stays in the reader, and a read of BULK_COPY_BYTES_MIN or more may hold an
   * argument that a reply queued by reference (RespWriter).
   */
  private onData(chunk: Buffer): boolean {
    if (this.sink !== undefined) return this.sink(chunk);
    this.server.stats.netInputBytes += chunk.length;
    this.client.lastInteractionMs = Date.now();
    if (this.closing || this.closed) return false;
    this.reader.feed(chunk);
    if (this.reader.bufferedBytes() > limits.queryBufferBytesMax) {
      this.server.logger.warn({ client: this.client.id, bytes: this.reader.bufferedBytes() }, 'closing client that reached max query buffer length');
      this.destroy('query buffer limit');
      return true;
    }
    this.process();
    return this.reader.bufferedBytes() > 0 || chunk.length >= BULK_COPY_BYTES_MIN;
  }

  /** Runs parsed commands until the input runs out, a bound is reached or the turn's budget is spent. */
  private process(): void {
    let budget = limits.commandsPerTurnMax;
    const { metrics } = this.server;
    metrics.beginRun(); // one clock read per command (metrics.ts)
    try {
      while (!this.closing && !this.closed && this.handOverTo === undefined && !this.stalled && !this.yielding && !this.backpressured && this.client.blocked === undefined && this.stream === undefined && !this.overBounds()) {
        if (budget-- === 0) {
          this.yieldTurn();
          break;
        }
        const args = this.pendingArgs ?? this.nextRequest();
        this.pendingArgs = undefined;
        if (args === undefined) {
          if (this.inputEnded) this.closing = true; // an incomplete last request is dropped, as Redis does
          break;
        }
        if (this.mustWaitForWriteRoom(args)) break;
        this.runCommand(args);
      }
    } finally {
      metrics.endRun();
    }
    this.scheduleFlush();
    this.updateReading();
  }

  private nextRequest(): Buffer[] | undefined {
    try {
      return this.reader.next();
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      this.server.stats.protocolErrors++;
      this.server.stats.errorReplies++;
      this.server.metrics.recordErrorReply('ERR');
      this.server.logger.debug({ client: this.client.id, error: error.message }, 'protocol error');
      this.writer.error(protocolErrorText(error));
      this.closing = true;
      return undefined;
    }
  }

  private yieldTurn(): void {
    this.yielding = true;
    this.server.stats.yieldsPerTurn++;
    setImmediate(() => {
      this.yielding = false;
      if (!this.closed) this.process();
    });
  }

  /** A write command while the engine stalls writes: hold it (and everything after) until room. */
  private mustWaitForWriteRoom(args: Buffer[]): boolean {
    if (this.server.engine.writeStallMs() === 0 || !isWriteRequest(args)) return false;
    this.stalled = true;
    this.pendingArgs = args.map((arg) => Buffer.from(arg)); // the reader may reuse its buffer
    this.server.engine.waitForWriteRoom().then(
      () => this.unstall(),
      () => this.unstall(),
    );
    return true;
  }

  private unstall(): void {
    this.stalled = false;
    if (!this.closed) this.process();
  }

  private runCommand(args: Buffer[]): void {
    const client = this.client;
    const before = this.writer.bytesPending();
    const modeBefore = client.replyMode;
    this.running = true;
    let commit: Promise<void> | undefined;
    try {
      commit = dispatch(this.context, args).commit;
    } finally {
      this.running = false;
    }
    if (client.blocked !== undefined) {
      this.blockedReplyMode = modeBefore; // its reply comes through runUnblocked
      return;
    }
    const subscription = modeBefore !== 'on' && SUBSCRIPTION_COMMANDS.has((args[0] as Buffer).toString('latin1').toLowerCase());
    this.handleReply(client, before, modeBefore, commit, subscription);
    if (this.streamStarting) this.startStream(commit);
    if (this.deferredLines.length > 0) this.sendDeferredLines();
  }

  // ConnectionView: dispatch/reply-stream.ts
  streamReply(stream: ReplyStream): void {
    assert.ok(this.running && this.stream === undefined, 'streamReply outside a command, or twice');
    this.stream = stream;
    this.streamStarting = true;
    this.server.stats.replyStreams++;
    this.server.replyStreamsActive++;
  }

  /** After the streamed command's (empty) reply was queued: parts once it is ready. */
  private startStream(commit: Promise<void> | undefined): void {
    this.streamStarting = false;
    const stream = this.stream;
    if (stream === undefined) return;
    if (commit === undefined) return this.schedulePump();
    this.streamHeld = true;
    // settle() (registered first, in handleReply) has turned the reply into MISCONF when this rejects
    commit.then(
      () => {
        this.streamHeld = false;
        if (this.stream === stream) this.pumpStream();
      },
      () => {
        if (this.stream === stream) this.endStream();
      },
    );
  }

  private schedulePump(): void {
    if (this.streamPumpScheduled || this.closed) return;
    this.streamPumpScheduled = true;
    setImmediate(() => {
      this.streamPumpScheduled = false;
      this.pumpStream();
    });
  }

  /** Makes parts of the streamed reply while the client's unsent output is under the bound. */
  private pumpStream(): void {
    const stream = this.stream;
    if (stream === undefined || this.streamHeld || this.closed) return;
    for (let steps = 0; this.replyBytesPending() < limits.replyStreamBytesPendingMax; steps++) {
      if (steps === limits.replyStreamStepsPerTurnMax) {
        this.schedulePump(); // other clients first
        break;
      }
      const done = stream.step();
      if (this.stream !== stream) return; // the step closed the client
      if (done) {
        this.endStream();
        break;
      }
    }
    if (this.streamOverOutputLimit()) return;
    this.scheduleFlush();
  }

  /** client-output-buffer-limit normal, as Redis checks it on every reply it appends. */
  private streamOverOutputLimit(): boolean {
    const verdict = this.outputWatch.verdict(this.replyBytesPending(), this.server.config.clientOutputBufferLimits.normal, Date.now());
    if (verdict !== 'close-hard' && verdict !== 'close-soft') return false;
    return this.closeForOutput(this.replyBytesPending(), `client-output-buffer-limit normal: ${verdict === 'close-hard' ? 'hard' : 'soft'} limit`);
  }

  /** The last part is made: later commands (and held out-of-band output) go on. */
  private endStream(): void {
    this.closeStream();
    if (this.deferredLines.length > 0) this.sendDeferredLines();
    this.scheduleFlush();
    setImmediate(() => {
      if (!this.closed) this.process(); // what the client sent after it
    });
  }

  private closeStream(): void {
    const stream = this.stream as ReplyStream;
    this.stream = undefined;
    this.streamStarting = false;
    this.streamHeld = false;
    this.server.replyStreamsActive--;
    stream.close();
  }

  // ConnectionView: the end of a blocked command's wait (dispatch/blocking.ts)
  runUnblocked(work: () => Promise<void> | undefined): void {
    const client = this.client;
    const before = this.writer.bytesPending();
    this.running = true;
    let commit: Promise<void> | undefined;
    try {
      commit = work();
    } finally {
      this.running = false;
    }
    if (client.blocked !== undefined || this.closed) return;
    this.handleReply(client, before, this.blockedReplyMode, commit);
    if (this.deferredLines.length > 0) this.sendDeferredLines();
    this.scheduleFlush();
    setImmediate(() => {
      if (!this.closed) this.process(); // what it sent while blocked
    });
  }

  /** Queues the reply dispatch just wrote: as-is when ready, or as a segment waiting for commit. */
  private handleReply(client: ClientState, before: number, modeBefore: ClientState['replyMode'], commit: Promise<void> | undefined, subscription = false): void {
    if (client.authenticated !== this.authenticatedLimits) {
      this.authenticatedLimits = client.authenticated;
      this.reader.setLimits(this.readerLimits(client.authenticated));
    }
    if (this.writer.protocol !== client.protocol) this.writer.protocol = client.protocol;
    // CLIENT REPLY: OFF silences until ON; SKIP silences the one command after it.
    let suppressed = false;
    if (modeBefore === 'skip') {
      suppressed = true;
      if (client.replyMode === 'skip') client.replyMode = 'on';
    } else if (modeBefore === 'off' && client.replyMode === 'off') suppressed = true;
    if (commit === undefined && !suppressed) return;
    const all = this.writer.take();
    if (before > 0) this.pushSegment(all.subarray(0, before), true);
    // (P|S)(UN)SUBSCRIBE's frames pass CLIENT REPLY OFF / SKIP in RESP2 and RESP3, as Redis's
    // CLIENT_PUSHING makes them; their errors do not
    if (suppressed) {
      if (!subscription || all.length === before || all[before] === 0x2d) {
        void commit?.catch(() => undefined); // no reply to write: a rejection (WAIT's LateReply, a failed commit) has no one else to hear it
        return;
      }
      if (commit === undefined) {
        this.pushSegment(all.subarray(before), true);
        return;
      }
    }
    const reply = all.subarray(before);
    this.waitingCount++;
    this.segmentBytes += reply.length;
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && !last.ready && last.commit === commit) {
      // replies of one turn follow each other in the writer's slab: extend the view lazily
      const { bytes } = last;
      if (bytes.buffer === reply.buffer && bytes.byteOffset + bytes.length + last.extraBytes === reply.byteOffset) {
        last.extraBytes += reply.length;
        last.commandCount++;
        return;
      }
      // in another slab: a segment of its own, as a copy joining them would be made again for
      // every later reply of the batch (none of them follows a copy in memory)
    }
    const segment: Segment = { bytes: reply, ready: false, commit, commandCount: 1, extraBytes: 0 };
    this.segments.push(segment);
    (commit as Promise<void>).then(
      () => this.settle(segment, undefined),
      (error: unknown) => this.settle(segment, error),
    );
  }

  private pushSegment(bytes: Buffer, ready: boolean): Segment {
    this.segmentBytes += bytes.length;
    const last = this.segments[this.segments.length - 1];
    if (ready && last?.ready) {
      last.bytes = joined(bytesOf(last), bytes);
      return last;
    }
    const segment: Segment = { bytes, ready, commit: undefined, commandCount: 0, extraBytes: 0 };
    this.segments.push(segment);
    return segment;
  }

  private settle(segment: Segment, error: unknown): void {
    if (error instanceof LateReply) {
      this.segmentBytes += error.bytes.length - bytesOf(segment).length;
      segment.bytes = error.bytes;
    } else if (error !== undefined && segment.commandCount === 0) {
      this.segmentBytes -= bytesOf(segment).length; // a message about writes that did not commit: dropped
      segment.bytes = Buffer.alloc(0);
    } else if (error !== undefined) {
      const text = commitFailureText(error); // MISCONF, or a reply decided late (MIGRATE)
      if (text.startsWith('MISCONF')) this.server.stats.commitsFailed += segment.commandCount;
      this.server.stats.errorReplies += segment.commandCount;
      for (let index = 0; index < segment.commandCount; index++) this.server.metrics.recordErrorReply(text);
      this.segmentBytes -= bytesOf(segment).length;
      segment.bytes = errorReplyBytes(text, segment.commandCount);
      this.segmentBytes += segment.bytes.length;
    }
    segment.ready = true;
    segment.commit = undefined;
    this.waitingCount -= segment.commandCount;
    // every segment one group commit settles goes out in the same end-of-turn write
    this.scheduleFlush();
  }

  /**
   * Out-of-band output of this client's own command (its MONITOR line, messages it published to
   * itself, keyspace events of its writes): after its reply, as Redis 7.2 appends them.
   */
  private sendDeferredLines(): void {
    const lines = this.deferredLines;
    this.deferredLines = [];
    if (this.writer.bytesPending() > 0) this.pushSegment(this.writer.take(), true);
    for (const { bytes, wait } of lines) this.sendOutOfBand(bytes, wait);
  }

  /**
   * MONITOR lines and Pub/Sub messages: a segment of their own (never joined: no copy per line),
   * ready now or once `wait` settles (dropped if it rejects), flushed once per turn.
   */
  sendOutOfBand(bytes: Buffer, wait?: Promise<unknown>): void {
    if (this.closed || this.closing) return;
    if (this.running || this.stream !== undefined) {
      this.deferredLines.push({ bytes, wait }); // as many as the command made: bounded by its arguments (no subscriber streams)
      return;
    }
    if (this.outputOverLimit(bytes.length)) return;
    this.segmentBytes += bytes.length;
    const segment: Segment = { bytes, ready: wait === undefined, commit: wait, commandCount: 0, extraBytes: 0 };
    this.segments.push(segment);
    if (wait === undefined) this.scheduleFlush();
    else wait.then(() => this.settle(segment, undefined), (error: unknown) => this.settle(segment, error ?? new Error('rejected')));
  }

  /** Whether adding bytes puts this client over its output limit; if so it is closed (and counted). */
  private outputOverLimit(adding: number): boolean {
    const usedBytes = this.replyBytesPending() + adding;
    let reason: string | undefined;
    if (usedBytes > limits.outOfBandBytesPendingMax) reason = 'output over outOfBandBytesPendingMax';
    else if (this.client.subscribed) reason = this.checkSubscriberOutput(usedBytes);
    else if (usedBytes > limits.replyBytesPendingMax) reason = 'monitor output over the reply limit';
    if (reason === undefined) return false;
    return this.closeForOutput(usedBytes, reason);
  }

  /** Closes a client whose pending output passed a limit (counted in INFO); always true. */
  private closeForOutput(usedBytes: number, reason: string): true {
    this.server.stats.outputLimitDisconnections++;
    this.server.logger.warn({ client: this.client.id, bytes: usedBytes, reason }, 'closing a client for overcoming its output buffer limits');
    this.destroy(reason);
    return true;
  }

  /** client-output-buffer-limit pubsub: the reason to close now, if any; arms the soft limit's re-check. */
  private checkSubscriberOutput(usedBytes: number): string | undefined {
    const limit = this.server.config.clientOutputBufferLimits.pubsub;
    const nowMs = Date.now();
    const verdict = this.outputWatch.verdict(usedBytes, limit, nowMs);
    if (verdict === 'close-hard') return 'client-output-buffer-limit pubsub: hard limit';
    if (verdict === 'close-soft') return 'client-output-buffer-limit pubsub: soft limit';
    if (verdict === 'soft-pending' && this.softLimitTimer === undefined) {
      this.softLimitTimer = setTimeout(() => {
        this.softLimitTimer = undefined;
        if (!this.closed && this.client.subscribed) this.outputOverLimit(0);
      }, this.outputWatch.softDueInMs(limit, nowMs));
      this.softLimitTimer.unref();
    }
    return undefined;
  }

  /** Queues this connection's write for the end of the event-loop turn (see flushTurn). */
  private scheduleFlush(): void {
    if (this.closed || this.flushQueued) return;
    this.flushQueued = true;
    flushQueue.push(this);
    if (!flushTurnScheduled) {
      flushTurnScheduled = true;
      setImmediate(flushTurn);
    }
  }

  /** Called by flushTurn: one socket write for everything ready, then the reading state. */
  flushQueuedReplies(): void {
    this.flushQueued = false;
    this.flush();
    if (this.stream !== undefined && this.replyBytesPending() < limits.replyStreamBytesPendingMax) this.schedulePump();
    this.updateReading();
  }

  /** Writes the ready prefix of the reply queue (plus fresh writer bytes) in one socket write. */
  private flush(): void {
    if (this.closed || !this.socket.writable) return;
    const chunks: Buffer[] = [];
    while (this.segments.length > 0 && (this.segments[0] as Segment).ready) {
      const ready = bytesOf(this.segments.shift() as Segment);
      this.segmentBytes -= ready.length;
      chunks.push(ready);
    }
    if (this.segments.length === 0 && this.writer.bytesPending() > 0) chunks.push(this.writer.take());
    else if (this.writer.bytesPending() > 0) this.pushSegment(this.writer.take(), true);
    if (chunks.length === 0) return;
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    this.server.stats.netOutputBytes += bytes.length;
    this.socket.write(bytes);
    // written through at once and no reply waiting: no view of the writer's slab is held any more
    if (this.socket.writableLength === 0 && this.segments.length === 0) this.writer.recycle();
  }

  private overBounds(): boolean {
    return this.waitingCount >= limits.pipelineDepthMax || this.replyBytesPending() >= limits.replyBytesPendingMax;
  }

  /** Once over a bound, reading resumes only below half of it (no pause/resume per command). */
  private belowLowWater(): boolean {
    return this.waitingCount <= limits.pipelineDepthMax / 2 && this.replyBytesPending() <= limits.replyBytesPendingMax / 2;
  }

  /** Pauses or resumes reading from the socket to keep every bound; closes when done closing. */
  private updateReading(): void {
    if (this.closed) return;
    if (this.handOverTo !== undefined) {
      if (!this.socket.isPaused()) this.socket.pause();
      if (this.segments.length === 0 && this.writer.bytesPending() === 0 && this.stream === undefined) this.completeHandOver();
      return;
    }
    if (this.closing) {
      if (!this.socket.isPaused()) this.socket.pause();
      if (this.segments.length === 0 && this.writer.bytesPending() === 0 && this.stream === undefined) this.closeAfterFlush();
      return;
    }
    if (!this.backpressured && this.overBounds()) {
      this.backpressured = true;
      this.server.stats.backpressureEvents++;
    } else if (this.backpressured && this.belowLowWater()) {
      this.backpressured = false;
      this.process(); // complete requests may wait in the reader
      return;
    }
    const shouldRead = !this.backpressured && !this.yielding && !this.stalled && !this.server.shuttingDown;
    if (shouldRead && this.socket.isPaused()) this.socket.resume();
    else if (!shouldRead && !this.socket.isPaused()) this.socket.pause();
  }

  /**
   * Every reply is handed to the socket: send FIN after them and destroy the socket once they are
   * flushed to the kernel ('finish'), or after closeAfterReplyMs if the peer does not read them.
   * Reading stays paused: what the peer sends from now on is never looked at.
   */
  private closeAfterFlush(): void {
    this.closed = true;
    this.closeTimer = setTimeout(() => this.destroy('reply not flushed in time'), limits.closeAfterReplyMs);
    this.socket.end(() => this.destroy('closed after reply'));
  }

  // ConnectionView: PSYNC
  handOver(take: Parameters<ConnectionView['handOver']>[0]): void {
    this.handOverTo = take;
  }

  /** Every reply owed is written: the socket and the unparsed input go to replication. */
  private completeHandOver(): void {
    const take = this.handOverTo as Parameters<ConnectionView['handOver']>[0];
    this.handOverTo = undefined;
    this.release(); // the client is gone from CLIENT LIST, WATCH, Pub/Sub; nothing here reads or writes again
    this.sink = take(this.socket, this.reader);
  }

  /** Shutdown: stop reading; answers for commands already parsed still go out. */
  stopReading(): void {
    this.closing = true;
    this.updateReading();
  }
}

/** The file descriptor of a socket's TCP handle (Node exposes it on Unix), or -1. */
function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** Whether a request names a write command (or EXEC), without resolving subcommands. */
function isWriteRequest(args: Buffer[]): boolean {
  const entry = lookupCommand(args[0] as Buffer);
  return entry !== undefined && (entry.isWrite || entry.spec.name === 'exec');
}
