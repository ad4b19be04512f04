// src/replication/follower.ts: a replica's link to its primary (REPLICAOF host port): connects to
// the primary's ordinary port, does the handshake, then applies the stream (stream-frames.ts).
//   handshake   [AUTH [masteruser] masterauth]
//               REPLCONF listening-port <port>   [REPLCONF ip-address <replica-announce-ip>]
//               REPLCONF tskv-wal 1              (a Redis primary refuses it: a clear error here)
//               PSYNC <replid> <seq>             (? -1 when this data's history is unknown)
//   reply       +CONTINUE <replid>               WAL frames from seq + 1 follow
//               +FULLRESYNC <replid> <seq>       a checkpoint, then WAL frames from seq + 1
// States as Redis's ROLE names them: connect (waiting to retry), connecting, handshake, sync (a
// full copy arriving), connected.
// Invariants:
// - Each batch is applied with the primary's sequence numbers (engine.applyReplicated), then the
//   keyspace's caches are brought in line (noteReplicated). The replica writes nothing else.
//   The keyspace events the frame carries (keyspace-events.ts) go to host.appliedEvents after;
//   the primary sends them while told it is wanted (REPLCONF TSKV-EVENTS, re-checked at each ack).
// - REPLCONF ACK <seq> names the engine's durable sequence number, never more: a WAIT counts a
//   replica only once the write is fsynced there. Acks go out when it grows, every second, and
//   at once on GETACK (which also asks the engine for an fsync under everysec / no).
// - Bounded input: reading pauses while the engine stalls writes and while a full copy is being
//   installed; the reader then holds at most what had arrived. A frame over LOG_RECORD_BYTES_MAX
//   is a protocol error. Handshake replies are at most limits.replicaHandshakeBytesMax.
// - Tables of a full copy go to <dir>/replica-sync, each synced and checked (size, crc32) before
//   the install (Replication.installFullSync); a link that ends mid-copy deletes them.
// - Any error (connect, handshake, a bad frame, a gap, a primary silent past repl-timeout) ends
//   the link; it is tried again after limits.replicaReconnectMs, from what the engine holds.
import * as nodeFs from 'node:fs';
import net from 'node:net';
import * as nodePath from 'node:path';
import { crc32 } from 'node:zlib';
import { RespReader } from '../../protocol/index.js';
import { decodeCheckpointHeader, RealFileSystem, type Engine, type FileMeta, type StagedTable, type WritableFile } from '../../storage/index.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import { limits } from '../ops/config.js';
import { decodeEvents, type KeyspaceEvent } from './keyspace-events.js';
import type { ReplicationLogger } from './replica-link.js';
import { ackFrame, eventsWishFrame, FRAME, frameBytes, frameName, frameNumber, payloadCrc, PING_FRAME } from './stream-frames.js';

export type FollowerState = 'connect' | 'connecting' | 'handshake' | 'sync' | 'connected';

/** The staging directory of a full copy, inside --dir (recovery leaves names it does not own alone). */
export const STAGING_DIR_NAME = 'replica-sync';
/** A WAL batch is at most this long (storage's LOG_RECORD_BYTES_MAX). */
const FRAME_BYTES_MAX = 1024 * 1024 * 1024;

export interface FollowerHost {
  readonly logger: ReplicationLogger;
  readonly dir: string;
  engine(): Engine;
  keyspace(): Keyspace;
  /** AUTH arguments (masteruser, masterauth), the port and ip to announce, repl-timeout. */
  settings(): { auth: string[] | undefined; listeningPort: number; announceIp: string; timeoutMs: number };
  /** The history to ask for: our replid, or '?' when unknown. */
  replid(): string;
  /** The primary answered CONTINUE under replid (maybe a new one: it was promoted). */
  continued(replid: string): void;
  /** A full copy arrived: replace the data with it (closing and reopening the engine). */
  installFullSync(replid: string, lastSequence: number, tables: StagedTable[]): Promise<void>;
  /** Counters for INFO. */
  noteSync(kind: 'full' | 'partial'): void;
  /** Whether this server wants its primary's keyspace events (REPLCONF TSKV-EVENTS). */
  wantsEvents(): boolean;
  /** A batch applied at firstSeq carried keyspace events (as sent, and decoded; durable: the batch's fsync here). */
  appliedEvents(firstSeq: number, encoded: Buffer, events: readonly KeyspaceEvent[], durable: Promise<void>): void;
}

interface Transfer {
  replid: string;
  lastSequence: number;
  tables: FileMeta[];
  staged: StagedTable[];
  file: WritableFile | undefined;
  fileBytes: number;
  fileCrc: number;
}

export class Follower {
  state: FollowerState = 'connect';
  lastIoMs = 0;
  linkDownSinceMs = Date.now();
  /** The last sequence number received from the primary (INFO slave_read_repl_offset). */
  readSeq = 0;
  syncTotalBytes = 0;
  syncReadBytes = 0;
  private socket: net.Socket | undefined;
  private reader: RespReader | undefined;
  private lineBuffer = Buffer.alloc(0); // handshake replies
  private steps: string[][] = [];
  private transfer: Transfer | undefined;
  private expectFullSync: { replid: string; lastSequence: number } | undefined;
  private paused = false; // a stall or an install holds the stream
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly cron: NodeJS.Timeout;
  private stopDurable: (() => void) | undefined;
  private ackScheduled = false;
  private eventsWish: boolean | undefined; // what the primary was last told
  private readonly fs = new RealFileSystem();

  constructor(
    private readonly host: FollowerHost,
    readonly primaryHost: string,
    readonly primaryPort: number,
  ) {
    this.cron = setInterval(() => this.onCron(), limits.replicaAckIntervalMs);
    this.cron.unref();
  }

  start(): void {
    this.connect();
  }

  /** Ends the link for good (REPLICAOF NO ONE, another primary, shutdown). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.cron);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.drop('replication stopped');
  }

  get linkUp(): boolean {
    return this.state === 'connected';
  }

  private connect(): void {
    if (this.stopped) return;
    this.state = 'connecting';
    const socket = net.connect({ host: this.primaryHost, port: this.primaryPort, noDelay: true });
    this.socket = socket;
    socket.setTimeout(this.host.settings().timeoutMs, () => this.drop('timed out connecting to the primary'));
    socket.on('connect', () => {
      socket.setTimeout(0);
      this.lastIoMs = Date.now();
      this.startHandshake();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.drop(`link error: ${error.message}`));
    socket.on('close', () => this.drop('the primary closed the link'));
  }

  /** Ends the current link (if any) and, unless stopped, tries again later. */
  private drop(reason: string): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    this.reader = undefined;
    this.paused = false;
    this.expectFullSync = undefined;
    this.stopDurable?.();
    this.stopDurable = undefined;
    this.abortTransfer();
    if (!socket.destroyed) socket.destroy();
    if (this.state === 'connected') this.linkDownSinceMs = Date.now();
    this.state = 'connect';
    this.host.logger.warn({ primary: `${this.primaryHost}:${this.primaryPort}`, reason }, 'replication link down');
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, limits.replicaReconnectMs);
    this.retryTimer.unref();
  }

  private startHandshake(): void {
    this.state = 'handshake';
    const { auth, listeningPort, announceIp } = this.host.settings();
    const engine = this.host.engine();
    const replid = this.host.replid();
    this.steps = [];
    if (auth !== undefined) this.steps.push(['AUTH', ...auth]);
    this.steps.push(['REPLCONF', 'listening-port', String(listeningPort)]);
    if (announceIp !== '') this.steps.push(['REPLCONF', 'ip-address', announceIp]);
    this.steps.push(['REPLCONF', 'tskv-wal', '1']);
    this.steps.push(['PSYNC', replid, replid === '?' ? '-1' : String(engine.sequence())]);
    this.sendStep();
  }

  private sendStep(): void {
    const step = this.steps[0];
    if (step !== undefined) this.socket?.write(frameBytes(step));
  }

  private onData(chunk: Buffer): void {
    this.lastIoMs = Date.now();
    if (this.reader !== undefined) {
      this.reader.feed(chunk);
      this.drain();
      return;
    }
    this.lineBuffer = Buffer.concat([this.lineBuffer, chunk]);
    for (;;) {
      const end = this.lineBuffer.indexOf('\r\n');
      if (end < 0) {
        if (this.lineBuffer.length > limits.replicaHandshakeBytesMax) this.drop('the primary sent an over-long handshake reply');
        return;
      }
      const line = this.lineBuffer.subarray(0, end).toString('latin1');
      const rest = this.lineBuffer.subarray(end + 2);
      this.lineBuffer = Buffer.alloc(0);
      if (!this.onHandshakeReply(line)) return;
      const reader = this.reader as RespReader | undefined; // set by onHandshakeReply once PSYNC is answered
      if (reader !== undefined) {
        if (rest.length > 0) reader.feed(rest);
        this.drain();
        return;
      }
      this.lineBuffer = rest;
    }
  }

  /** One handshake reply; false when the link was dropped. */
  private onHandshakeReply(line: string): boolean {
    const step = this.steps.shift();
    if (step === undefined) return true;
    const name = step[0] === 'REPLCONF' ? `REPLCONF ${step[1]}` : step[0]!;
    if (line.startsWith('-')) {
      const hint = name === 'REPLCONF tskv-wal' ? ' (is the primary a tskv server? a tskv replica follows tskv only)' : '';
      this.drop(`the primary refused ${name}: ${line.slice(1)}${hint}`);
      return false;
    }
    if (step[0] !== 'PSYNC') {
      this.sendStep();
      return true;
    }
    const words = line.slice(1).split(' ');
    if (words[0] === 'CONTINUE' && words[1] !== undefined) {
      this.host.continued(words[1]);
      this.host.noteSync('partial');
      this.host.logger.info({ primary: `${this.primaryHost}:${this.primaryPort}`, fromSeq: this.host.engine().sequence() + 1 }, 'partial resynchronization: streaming the WAL');
      this.goOnline();
    } else if (words[0] === 'FULLRESYNC' && words[1] !== undefined && frameNumber(Buffer.from(words[2] ?? '')) !== undefined) {
      this.expectFullSync = { replid: words[1], lastSequence: Number(words[2]) };
      this.state = 'sync';
      this.host.noteSync('full');
      this.host.logger.info({ primary: `${this.primaryHost}:${this.primaryPort}`, lastSequence: Number(words[2]) }, 'full resynchronization: receiving a checkpoint');
    } else {
      this.drop(`unexpected PSYNC reply: ${line.slice(0, 100)}`);
      return false;
    }
    this.reader = new RespReader({ inlineBytesMax: limits.replicaHandshakeBytesMax, bulkBytesMax: FRAME_BYTES_MAX, argsMax: 8 });
    return true;
  }

  /** The WAL stream runs: acks from now on. */
  private goOnline(): void {
    this.state = 'connected';
    const engine = this.host.engine();
    this.readSeq = engine.sequence();
    this.stopDurable?.();
    this.stopDurable = engine.onDurable(() => this.scheduleAck());
    this.eventsWish = undefined;
    this.sendAck();
  }

  private drain(): void {
    const reader = this.reader;
    try {
      while (reader !== undefined && this.reader === reader && !this.paused) {
        const engine = this.host.engine();
        if (this.state === 'connected' && engine.writeStallMs() > 0) {
          this.hold(engine.waitForWriteRoom());
          return;
        }
        const frame = reader.next();
        if (frame === undefined) return;
        this.onFrame(frame);
      }
    } catch (error) {
      this.drop(`bad stream: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Stops reading until done settles (a stall, an install), then goes on with what is buffered. */
  private hold(done: Promise<void>): void {
    const socket = this.socket;
    this.paused = true;
    socket?.pause();
    done.then(
      () => {
        if (this.socket !== socket) return;
        this.paused = false;
        socket?.resume();
        this.drain();
      },
      (error: unknown) => {
        if (this.socket === socket) this.drop(`could not apply the stream: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  private onFrame(frame: Buffer[]): void {
    switch (frameName(frame)) {
      case FRAME.wal:
        return this.applyBatch(frame);
      case FRAME.checkpoint:
        return this.beginTransfer(frame);
      case FRAME.chunk:
        return this.receiveChunk(frame);
      case FRAME.tableEnd:
        return this.endTable(frame);
      case FRAME.checkpointEnd:
        return this.endTransferAndInstall();
      case FRAME.replconf:
        if (frame[1]?.toString('latin1').toLowerCase() === 'getack') {
          this.host.engine().requestSync();
          this.sendAck();
        }
        return;
      default:
        return; // PING and anything newer: the link is alive
    }
  }

  private applyBatch(frame: Buffer[]): void {
    if (this.state !== 'connected') throw new Error('a WAL frame before the stream began');
    const payload = frame[2];
    if (payload === undefined || frameNumber(frame[1]) !== payloadCrc(payload)) throw new Error('a WAL frame with a bad crc32');
    const encoded = frame[3];
    const events = encoded === undefined ? [] : decodeEvents(encoded); // before the apply: a bad frame changes nothing
    const engine = this.host.engine();
    const applied = engine.applyReplicated(payload);
    this.host.keyspace().noteReplicated(applied.ops, applied.firstSeq);
    this.readSeq = applied.firstSeq + applied.ops.length - 1;
    applied.durable.catch(() => undefined); // a failure fails the engine: it logs it, and the next apply throws
    if (encoded !== undefined && events.length > 0) this.host.appliedEvents(applied.firstSeq, encoded, events, applied.durable);
  }

  private beginTransfer(frame: Buffer[]): void {
    const expected = this.expectFullSync;
    if (expected === undefined || this.transfer !== undefined || frame[1] === undefined) throw new Error('an unexpected CHECKPOINT frame');
    const header = decodeCheckpointHeader(frame[1]);
    if (header.lastSequence !== expected.lastSequence) throw new Error(`the checkpoint is at ${header.lastSequence}, FULLRESYNC said ${expected.lastSequence}`);
    const staging = nodePath.join(this.host.dir, STAGING_DIR_NAME);
    nodeFs.rmSync(staging, { recursive: true, force: true });
    this.fs.mkdirp(staging);
    this.transfer = { replid: expected.replid, lastSequence: header.lastSequence, tables: header.tables, staged: [], file: undefined, fileBytes: 0, fileCrc: 0 };
    this.syncTotalBytes = header.tables.reduce((sum, meta) => sum + meta.sizeBytes, 0);
    this.syncReadBytes = 0;
  }

  private receiveChunk(frame: Buffer[]): void {
    const transfer = this.transfer;
    const bytes = frame[2];
    if (transfer === undefined || bytes === undefined || frameNumber(frame[1]) !== transfer.staged.length) throw new Error('an unexpected CHUNK frame');
    const meta = transfer.tables[transfer.staged.length];
    if (meta === undefined || transfer.fileBytes + bytes.length > meta.sizeBytes) throw new Error('a CHUNK past its table');
    transfer.file ??= this.fs.create(this.stagedPath(transfer.staged.length));
    transfer.file.append(bytes);
    transfer.fileBytes += bytes.length;
    transfer.fileCrc = crc32(bytes, transfer.fileCrc);
    this.syncReadBytes += bytes.length;
  }

  private endTable(frame: Buffer[]): void {
    const transfer = this.transfer;
    const index = frameNumber(frame[1]);
    if (transfer === undefined || index !== transfer.staged.length) throw new Error('an unexpected TABLEEND frame');
    const meta = transfer.tables[index]!;
    if (frameNumber(frame[2]) !== meta.sizeBytes || transfer.fileBytes !== meta.sizeBytes || frameNumber(frame[3]) !== transfer.fileCrc) {
      throw new Error(`table ${index} arrived damaged (${transfer.fileBytes} of ${meta.sizeBytes} bytes, or a crc32 mismatch)`);
    }
    transfer.file ??= this.fs.create(this.stagedPath(index)); // an empty table
    transfer.file.sync();
    transfer.file.close();
    transfer.file = undefined;
    transfer.staged.push({ meta, path: this.stagedPath(index) });
    transfer.fileBytes = 0;
    transfer.fileCrc = 0;
  }

  private endTransferAndInstall(): void {
    const transfer = this.transfer;
    if (transfer === undefined || transfer.staged.length !== transfer.tables.length) throw new Error('CHECKPOINTEND before every table arrived');
    this.fs.syncDir(nodePath.join(this.host.dir, STAGING_DIR_NAME));
    this.transfer = undefined;
    this.expectFullSync = undefined;
    const installed = this.host.installFullSync(transfer.replid, transfer.lastSequence, transfer.staged).then(() => this.goOnline());
    this.hold(installed);
  }

  private stagedPath(index: number): string {
    return nodePath.join(this.host.dir, STAGING_DIR_NAME, `${index}.sst`);
  }

  private abortTransfer(): void {
    const transfer = this.transfer;
    this.transfer = undefined;
    if (transfer === undefined) return;
    try {
      transfer.file?.close();
      nodeFs.rmSync(nodePath.join(this.host.dir, STAGING_DIR_NAME), { recursive: true, force: true });
    } catch (error) {
      this.host.logger.warn({ error: String(error) }, 'could not remove a partial full copy');
    }
  }

  private scheduleAck(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      this.ackScheduled = false;
      this.sendAck();
    });
  }

  /** The ack, after a TSKV-EVENTS frame when the wish changed (checked at each ack: at least every second). */
  private sendAck(): void {
    if (this.state !== 'connected' || this.socket === undefined) return;
    const wish = this.host.wantsEvents();
    if (wish !== this.eventsWish) {
      this.eventsWish = wish;
      this.socket.write(eventsWishFrame(wish));
    }
    this.socket.write(ackFrame(this.host.engine().durableSequence()));
  }

  private onCron(): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (this.paused) {
      // installing a full copy, or stalled: nothing is read, so the primary's silence says nothing;
      // a PING (which the primary ignores) keeps its side of the link from timing out
      if (this.state === 'sync') socket.write(PING_FRAME);
      this.lastIoMs = Date.now();
    } else if (this.state !== 'connecting' && Date.now() - this.lastIoMs > this.host.settings().timeoutMs) {
      this.drop('the primary sent nothing for repl-timeout');
      return;
    }
    this.sendAck();
  }
}
