// src/dispatch/reply-stream.ts: a reply produced in parts (a huge TS.RANGE), so the server's memory
// for it stays bounded whatever the client's read speed. The handler writes nothing itself: it
// hands a ReplyStream to its connection (startReplyStream), which calls step() while the client's
// pending output (CLIENT LIST omem) is under limits.replyStreamBytesPendingMax, at most
// limits.replyStreamStepsPerTurnMax steps per event-loop turn, resuming when the socket drains.
// Invariants (the connection keeps them: net/connection.ts):
// - The parts leave in order, after every reply the client was owed before the command and
//   before the reply of any command after it: no command of that client runs while it streams.
//   Other clients are served between steps.
// - The stream reads only what it captured when the command ran (an engine snapshot: keyspace/
//   snapshot-view.ts), so later writes never show up in, or tear, the reply.
// - close() runs exactly once: after the last step, or when the client goes (disconnect, CLIENT
//   KILL, an output buffer limit) — it releases the snapshot; no step runs after it.
// - Used by the TS range commands (commands/timeseries.ts); another big reply (LRANGE, ZRANGE,
//   HGETALL) would do the same: a KeyspaceSnapshotView taken in the handler, and a generator that
//   writes the reply's headers and elements a part at a time (counts first: RESP needs them).
// - Streaming is only for a client whose reply goes straight to its socket: not inside EXEC (the
//   transaction's replies are one array), not under CLIENT REPLY OFF / SKIP, not for a subscribed
//   client (its messages must not land inside the reply). There the handler builds the reply in
//   memory under its own bound, as before (replyStreamAllowed). There are no scripts; MONITOR
//   shows the command once, as any; a replica streams its own clients' replies from its engine.
import assert from 'node:assert/strict';
import type { ReplyStream } from './client-state.js';
import type { CommandContext } from './command-table.js';

export type { ReplyStream } from './client-state.js';

/** Whether this command's reply may be streamed (see the header); otherwise build it in memory. */
export function replyStreamAllowed(ctx: CommandContext): boolean {
  const { client } = ctx;
  return client.connection.streamReply !== undefined && !client.inExec && client.replyMode === 'on' && !client.subscribed && client.blocked === undefined;
}

/** Hands the reply to the connection; the handler returns without writing anything. */
export function startReplyStream(ctx: CommandContext, stream: ReplyStream): void {
  const { connection } = ctx.client;
  assert.ok(connection.streamReply !== undefined, 'a reply stream without replyStreamAllowed');
  connection.streamReply(stream);
}
