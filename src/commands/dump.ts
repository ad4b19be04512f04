// src/commands/dump.ts: DUMP and RESTORE (Redis 7.0 src/cluster.c dumpCommand, restoreCommand) for
// every type; the payload frame is src/types/dump-payload.ts's, each object's encoding its type module's
// (src/types/: dumpObject writes what Redis 7.0 reads, restoreObject reads what it writes).
// Invariants:
// - RESTORE checks in Redis's order, so the same error wins when several apply: options (syntax,
//   IDLETIME / FREQ values), then BUSYKEY, then the TTL, then version and checksum, then the data.
// - A restored key is written through the keyspace like SET (staged, committed by dispatch before
//   the reply); an absolute TTL already in the past creates nothing (after REPLACE deleted the
//   old key) and still answers OK.
// - IDLETIME and FREQ are validated and then ignored: tskv keeps no LRU clock or LFU counter.
import { EXPIRE_AT_MS_MAX, INT64_MAX, isWord, parseInt64 } from './arguments.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { createObjectDumpPayload, verifyDumpPayload } from '../types/dump-payload.js';
import type { RdbCursor } from '../types/rdb-string.js';
import { restorerOf, typeModule } from '../types/index.js';
import { REPLY } from '../../protocol/index.js';
import { defineSpec, encodingLimits, readKey, writeKey } from './key-access.js';
import { EVENT, notify } from '../dispatch/notify.js';

export const DUMP_ERRORS = {
  busyKey: 'BUSYKEY Target key name already exists.',
  badTtl: 'ERR Invalid TTL value, must be >= 0',
  badPayload: 'ERR DUMP payload version or checksum are wrong',
  badData: 'ERR Bad data format',
  badIdletime: 'ERR Invalid IDLETIME value, must be >= 0',
  badFreq: 'ERR Invalid FREQ value, must be >= 0 and <= 255',
} as const;

const FREQ_MAX = 255n;

function dump(ctx: CommandContext, args: Buffer[]): void {
  const record = readKey(ctx, args[1] as Buffer);
  if (record === undefined) return ctx.out.nullBulk();
  const module = typeModule(record.type);
  if (module.dumpUnsupported !== undefined) throw new CommandError(module.dumpUnsupported);
  ctx.out.bulk(createObjectDumpPayload(module.dumpObject(ctx.server.keyspace, record)));
}

/** restoreCommand's option loop: whether REPLACE and ABSTTL were given. */
function parseRestoreOptions(args: Buffer[]): { replace: boolean; absttl: boolean } {
  const options = { replace: false, absttl: false };
  let idleSeen = false;
  let freqSeen = false;
  for (let index = 4; index < args.length; index++) {
    const arg = args[index] as Buffer;
    const hasValue = index + 1 < args.length;
    if (isWord(arg, 'replace')) {
      options.replace = true;
    } else if (isWord(arg, 'absttl')) {
      options.absttl = true;
    } else if (isWord(arg, 'idletime') && hasValue && !freqSeen) {
      if (parseInt64(args[++index] as Buffer) < 0n) throw new CommandError(DUMP_ERRORS.badIdletime);
      idleSeen = true;
    } else if (isWord(arg, 'freq') && hasValue && !idleSeen) {
      const freq = parseInt64(args[++index] as Buffer);
      if (freq < 0n || freq > FREQ_MAX) throw new CommandError(DUMP_ERRORS.badFreq);
      freqSeen = true;
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  return options;
}

function restore(ctx: CommandContext, args: Buffer[]): void {
  const { replace, absttl } = parseRestoreOptions(args);
  const key = args[1] as Buffer;
  const { keyspace } = ctx.server;
  if (!replace && writeKey(ctx, key) !== undefined) throw new CommandError(DUMP_ERRORS.busyKey);
  let ttl = parseInt64(args[2] as Buffer);
  if (ttl < 0n) throw new CommandError(DUMP_ERRORS.badTtl);
  const payload = args[3] as Buffer;
  if (!verifyDumpPayload(payload)) throw new CommandError(DUMP_ERRORS.badPayload);
  const cursor: RdbCursor = { bytes: payload, offset: 1 }; // Redis reads the footer too, as part of its buffer
  const restorer = restorerOf(payload[0]!);
  const restored = restorer?.restoreObject(keyspace, payload[0]!, cursor, { limits: encodingLimits(ctx), valueBytesMax: ctx.server.config.protoMaxBulkLen });
  if (restored === undefined) throw new CommandError(DUMP_ERRORS.badData);
  const deleted = replace && keyspace.delete(ctx.client.db, key);
  const now = keyspace.now();
  if (ttl !== 0n && !absttl) ttl += BigInt(now);
  // checkAlreadyExpired; a relative TTL past 2^63 - 1 wraps negative in Redis, so it is expired too
  if (ttl !== 0n && (ttl <= BigInt(now) || ttl > INT64_MAX)) {
    if (deleted) notify(ctx, EVENT.generic, 'del', key);
    return ctx.out.raw(REPLY.ok);
  }
  keyspace.set(ctx.client.db, key, { ...restored, expireAtMs: ttl > BigInt(EXPIRE_AT_MS_MAX) ? EXPIRE_AT_MS_MAX : Number(ttl) });
  notify(ctx, EVENT.generic, 'restore', key);
  ctx.out.raw(REPLY.ok);
}

const spec = defineSpec.bind(undefined, 'generic');

export const dumpCommands: CommandSpec[] = [
  spec({ name: 'dump', arity: 2, flags: ['readonly'], keys: [1, 1, 1], summary: 'Return a serialized version of the value stored at the specified key.', since: '2.6.0', handler: dump }),
  spec({ name: 'restore', arity: -4, flags: ['write', 'denyoom'], keys: [1, 1, 1], summary: 'Create a key using the provided serialized value, previously obtained using DUMP.', since: '2.6.0', handler: restore }),
];
