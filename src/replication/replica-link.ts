// src/replication/replica-link.ts: one replica as its primary sees it, once PSYNC handed the
// connection over (net/connection.ts handOver): writes the PSYNC reply line, then a checkpoint
// when the replica needs a full copy, then the WAL batches as they become durable; reads the
// replica's REPLCONF ACKs. Frames: stream-frames.ts.
// States (INFO's slaveN state=, Redis's replstateToString): send_bulk while the checkpoint's tables
// go out, online once the WAL stream runs.
// Invariants:
// - Backpressure: nothing more is read (from the WAL, the tables) while the socket holds
//   limits.replicaSendBytesMax bytes or more; 'drain' and a durable write call pump() again.
//   So a slow replica costs at most that much memory, and reading the WAL stops for it alone.
// - The checkpoint is pinned from PSYNC until its last table is sent, then released; the WAL
//   cursor (from the checkpoint's lastSequence + 1, or the replica's seq + 1) is opened at PSYNC,
//   so the batches it needs cannot go before the stream reaches them (a pin, or the retention bound).
// - A WAL the cursor can no longer read (the retention bound trimmed it), a bad frame from the
//   replica, a socket error or close ends the link; the replica reconnects and asks again.
// - close() releases everything once: cursor, checkpoint, open table file, socket.
import type { Socket } from 'node:net';
import { crc32 } from 'node:zlib';
import { RespProtocolError, type RespReader } from '../../protocol/index.js';
import { encodeCheckpointHeader, type EngineCheckpoint, type FileMeta, type ReadableFile, type WalCursor } from '../../storage/index.js';
import { limits } from '../ops/config.js';
import { EVENTS_WISH, FRAME, frameName, frameNumber, framePieces, GETACK_FRAME, PING_FRAME, walFrame } from './stream-frames.js';

export type LinkState = 'send_bulk' | 'online';

export interface ReplicationLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** What a link needs from the primary side. */
export interface LinkHost {
  readonly logger: ReplicationLogger;
  onAck(link: ReplicaLink): void;
  /** The replica said whether it wants keyspace events (REPLCONF TSKV-EVENTS). */
  onEventsWish(link: ReplicaLink): void;
  onClose(link: ReplicaLink): void;
  /** The keyspace events of batches firstSeq .. lastSeq (keyspace-events.ts), if kept. */
  eventsOf(firstSeq: number, lastSeq: number): Buffer | undefined;
}

interface TableTransfer {
  checkpoint: EngineCheckpoint;
  index: number; // the table being sent
  file: ReadableFile | undefined;
  offset: number;
  crc: number;
}

export interface LinkStart {
  replyLine: string; // '+CONTINUE <replid>' or '+FULLRESYNC <replid> <seq>', without CRLF
  cursor: WalCursor;
  checkpoint: EngineCheckpoint | undefined;
  address: string; // the replica's ip as INFO shows it
  listeningPort: number;
}

export class ReplicaLink {
  readonly address: string;
  readonly listeningPort: number;
  readonly connectedAtMs = Date.now();
  state: LinkState;
  /** The highest sequence number the replica said is durable there (REPLCONF ACK). */
  ackSeq = 0;
  lastAckMs = Date.now();
  /** When the replica last sent anything (an ACK, or a PING while it installs a full copy). */
  lastInputMs = Date.now();
  lastSentMs = Date.now();
  /** Sequence number of the last batch written to the socket. */
  sentSeq: number;
  /** Whether the replica wants the keyspace events of its batches (REPLCONF TSKV-EVENTS 1). */
  wantsEvents = false;
  private transfer: TableTransfer | undefined;
  private readonly cursor: WalCursor;
  private closed = false;

  constructor(
    private readonly host: LinkHost,
    private readonly socket: Socket,
    private readonly reader: RespReader,
    start: LinkStart,
  ) {
    this.address = start.address;
    this.listeningPort = start.listeningPort;
    this.cursor = start.cursor;
    this.sentSeq = start.cursor.nextSeq - 1;
    this.state = start.checkpoint === undefined ? 'online' : 'send_bulk';
    if (start.checkpoint !== undefined) this.transfer = { checkpoint: start.checkpoint, index: 0, file: undefined, offset: 0, crc: 0 };
    socket.on('drain', () => this.pump());
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('connection closed'));
    socket.on('end', () => this.close('replica closed the connection'));
    this.write([Buffer.from(`${start.replyLine}\r\n`)]);
    if (start.checkpoint !== undefined) {
      this.write(framePieces([FRAME.checkpoint, encodeCheckpointHeader(start.checkpoint.lastSequence, start.checkpoint.tables)]));
    }
    socket.resume();
    this.readInput(); // what the reader held past PSYNC
  }

  /** The connection's sink from now on (socket-reader.ts contract: true while it keeps chunk's bytes). */
  readonly onData = (chunk: Buffer): boolean => {
    if (this.closed) return false;
    this.reader.feed(chunk);
    this.readInput();
    return true; // the reader may keep views of the chunk
  };

  /** Sends what it may: table chunks, then durable batches, until the socket holds its bound. */
  pump(): void {
    if (this.closed) return;
    try {
      while (!this.closed && this.socket.writableLength < limits.replicaSendBytesMax) {
        if (this.transfer !== undefined) {
          this.sendTableChunk(this.transfer);
          continue;
        }
        const batches = this.cursor.read(limits.replicaReadBytesMax);
        if (batches.length === 0) return;
        const pieces: Buffer[] = [];
        for (const batch of batches) pieces.push(...walFrame(batch.payload, this.wantsEvents ? this.host.eventsOf(batch.firstSeq, batch.lastSeq) : undefined));
        this.write(pieces);
        this.sentSeq = batches[batches.length - 1]!.lastSeq;
      }
    } catch (error) {
      this.close(`cannot read what the replica needs: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  ping(): void {
    this.write([PING_FRAME]);
  }

  requestAck(): void {
    if (this.state === 'online') this.write([GETACK_FRAME]);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.host.logger.info({ replica: `${this.address}:${this.listeningPort}`, reason }, 'replica link closed');
    this.cursor.close();
    if (this.transfer !== undefined) this.endTransfer(this.transfer);
    if (!this.socket.destroyed) this.socket.destroy();
    this.host.onClose(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private write(pieces: Buffer[]): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    this.lastSentMs = Date.now();
  }

  /** One CHUNK (or the TABLEEND / CHECKPOINTEND after the last one) of the checkpoint. */
  private sendTableChunk(transfer: TableTransfer): void {
    const { checkpoint } = transfer;
    const meta: FileMeta | undefined = checkpoint.tables[transfer.index];
    if (meta === undefined) {
      this.write(framePieces([FRAME.checkpointEnd]));
      this.endTransfer(transfer);
      this.state = 'online';
      this.host.logger.info({ replica: `${this.address}:${this.listeningPort}`, lastSequence: checkpoint.lastSequence }, 'full copy sent; streaming the WAL');
      return;
    }
    transfer.file ??= checkpoint.openTable(meta);
    const bytes = transfer.file.read(transfer.offset, Math.min(limits.replicaChunkBytes, meta.sizeBytes - transfer.offset));
    if (bytes.length > 0) {
      transfer.crc = crc32(bytes, transfer.crc);
      transfer.offset += bytes.length;
      this.write(framePieces([FRAME.chunk, String(transfer.index), bytes]));
    }
    if (transfer.offset < meta.sizeBytes) {
      if (bytes.length === 0) throw new Error(`table ${meta.number} ends at ${transfer.offset} of ${meta.sizeBytes} bytes`);
      return;
    }
    this.write(framePieces([FRAME.tableEnd, String(transfer.index), String(meta.sizeBytes), String(transfer.crc)]));
    transfer.file.close();
    transfer.file = undefined;
    transfer.index++;
    transfer.offset = 0;
    transfer.crc = 0;
  }

  private endTransfer(transfer: TableTransfer): void {
    this.transfer = undefined;
    try {
      transfer.file?.close();
    } catch {
      // already closed
    }
    transfer.checkpoint.release();
  }

  /** REPLCONF ACK <seq> and TSKV-EVENTS frames from the replica; anything else it may send is ignored, as Redis does. */
  private readInput(): void {
    try {
      for (let frame = this.reader.next(); frame !== undefined && !this.closed; frame = this.reader.next()) {
        this.lastInputMs = Date.now();
        if (frameName(frame) !== FRAME.replconf) continue;
        const option = frame[1]?.toString('latin1').toLowerCase();
        if (option === EVENTS_WISH) {
          this.wantsEvents = frame[2]?.toString('latin1') === '1';
          this.host.onEventsWish(this);
          continue;
        }
        if (option !== 'ack') continue;
        const seq = frameNumber(frame[2]);
        if (seq === undefined) continue;
        this.lastAckMs = Date.now();
        if (seq > this.ackSeq) {
          this.ackSeq = seq;
          this.host.onAck(this);
        }
      }
    } catch (error) {
      if (!(error instanceof RespProtocolError)) throw error;
      this.close(`protocol error: ${error.message}`);
      return;
    }
    if (this.reader.bufferedBytes() > limits.replicaInputBytesMax) this.close('the replica sent more than an ACK can hold');
  }
}
