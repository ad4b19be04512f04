// src/commands/timeseries-stream.ts: how a TS range reply too big to build in memory streams
// (commands/timeseries.ts decides when; dispatch/reply-stream.ts and net/connection.ts run the
// parts): the reply's generator reads through an engine snapshot taken while the command runs
// and writes to a HeldReplyWriter, which keeps the reply's first bytes (at least
// HELD_REPLY_BYTES_MAX, and the rest of the part that passed it) from the connection.
// A read that fails while streaming (a damaged block: StorageError; a chunk that does not decode:
// TimeSeriesError; a replica's engine closed under the snapshot by a full copy):
// - before any byte reached the connection (the count pass of the first series, in practice, as
//   it runs before anything of the reply but MRANGE's heads is written): the held bytes are
//   dropped and the reply is the error the same read answers when built in memory
//   (`ERR Error reading from disk: ...`, counted as dispatch.ts counts it, or RedisTimeSeries's
//   text); the connection goes on;
// - after: half a reply is out and RESP cannot take it back, so the client is closed (logged).
// Invariants:
// - The snapshot is released once, when the stream closes (its last part, a failure, or the client going).
// - A reply small enough to stay held is handed to the connection whole, at its last part.
import { RespWriter } from '../../protocol/index.js';
import { StorageError } from '../../storage/index.js';
import type { CommandContext } from '../dispatch/command-table.js';
import { storageReadError } from '../dispatch/errors.js';
import { startReplyStream } from '../dispatch/reply-stream.js';
import { KeyspaceSnapshotView, type ElementReader } from '../keyspace/snapshot-view.js';
import { TimeSeriesError } from '../types/timeseries/errors.js';
import type { ReplyWriter } from '../types/timeseries/reply.js';

/** Bytes of a streamed reply held back so that a failure meeting them can still be an error reply. */
export const HELD_REPLY_BYTES_MAX = 64 * 1024;

/** A ReplyWriter that writes to its own buffer until released, then to the connection's writer. */
export class HeldReplyWriter implements ReplyWriter {
  private target: RespWriter;
  private held: RespWriter | undefined;

  constructor(private readonly connectionOut: RespWriter) {
    this.held = new RespWriter(connectionOut.protocol);
    this.target = this.held;
  }

  get protocol(): 2 | 3 {
    return this.connectionOut.protocol;
  }

  /** Whether every byte so far is still held (none reached the connection). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** After a part: hands the held bytes over once they reach the bound, or at the end (last). */
  afterPart(last: boolean): void {
    const held = this.held;
    if (held === undefined || (!last && held.bytesPending() < HELD_REPLY_BYTES_MAX)) return;
    if (held.bytesPending() > 0) this.connectionOut.raw(held.take());
    this.held = undefined;
    this.target = this.connectionOut;
  }

  /** The reply failed before anything reached the connection: what was held is dropped. */
  drop(): void {
    this.held?.take();
  }

  arrayHeader(count: number): void {
    this.target.arrayHeader(count);
  }
  mapHeader(count: number): void {
    this.target.mapHeader(count);
  }
  setHeader(count: number): void {
    this.target.setHeader(count);
  }
  bulk(value: Buffer | string): void {
    this.target.bulk(value);
  }
  simple(text: string): void {
    this.target.simple(text);
  }
  integer(value: number | bigint): void {
    this.target.integer(value);
  }
  double(value: number): void {
    this.target.double(value);
  }
  nullBulk(): void {
    this.target.nullBulk();
  }
  error(message: string): void {
    this.target.error(message);
  }
}

/**
 * Streams a reply whose parts `parts` writes to out, reading through a snapshot of the engine
 * taken now (so what the command saw is what the reply holds), released when the stream closes.
 */
export function streamReply(ctx: CommandContext, parts: (reader: ElementReader, out: ReplyWriter) => Generator<void>): void {
  const view = new KeyspaceSnapshotView(ctx.server.engine.snapshot());
  const out = new HeldReplyWriter(ctx.out);
  const steps = parts(view, out);
  startReplyStream(ctx, {
    step: () => {
      let done: boolean;
      try {
        done = steps.next().done === true;
      } catch (error) {
        if (!(error instanceof TimeSeriesError) && !(error instanceof StorageError)) throw error;
        failed(ctx, out, error);
        return true;
      }
      out.afterPart(done);
      return done;
    },
    close: () => {
      steps.return(undefined);
      view.release();
    },
  });
}

/** A read of the stream failed: an error reply while nothing is out, else the client is closed. */
function failed(ctx: CommandContext, out: HeldReplyWriter, error: TimeSeriesError | StorageError): void {
  const { server } = ctx;
  if (!out.holding) {
    server.logger.warn({ client: ctx.client.id, error: error.message }, 'closing a client whose streamed reply failed');
    ctx.client.connection.destroy(`streamed reply failed: ${error.message}`);
    return;
  }
  out.drop();
  if (error instanceof StorageError) server.stats.storageReadErrors++;
  const text = error instanceof StorageError ? storageReadError(error.message) : error.message;
  server.stats.errorReplies++;
  server.metrics.recordErrorReply(text);
  server.logger.warn({ client: ctx.client.id, error: error.message }, 'a streamed reply failed before its first byte was sent: answered an error');
  ctx.out.error(text);
}
