// src/commands/migrate.ts: MIGRATE and RESTORE-ASKING (Redis 7.0 src/cluster.c migrateCommand,
// texts word for word). MIGRATE serializes each key as DUMP does (a time series, which DUMP
// refuses, as tskv's own payload: types/timeseries/series-payload.ts), sends RESTORE
// (RESTORE-ASKING in cluster mode) to the target over a cached link (cluster/migrate-link.ts),
// and deletes the keys the target acknowledged (unless COPY).
// Unlike Redis, the server does not block while the target answers: the reply waits instead
// (server.replyWaitsFor), and the keys are locked meanwhile (cluster/migration-locks.ts): any
// command naming one gets TRYAGAIN, so nothing writes a copy that is about to be deleted.
// Invariants:
// - A key leaves this node only after the target acknowledged it, which tskv does only once it
//   is durable there; it is unlocked only once its delete here is durable too. A crash between
//   the two leaves it on both nodes (as Redis), never on neither.
// - +NOKEY when none of the keys exists; the payloads are made before anything is sent.
// - Refused inside MULTI: its reply could not wait for the target inside EXEC's reply.
import { REPLY, RespWriter } from '../../protocol/index.js';
import { MigrateLinks, type ExchangeResult } from '../cluster/migrate-link.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { ServerState } from '../dispatch/server-state.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { createObjectDumpPayload } from '../types/dump-payload.js';
import { seriesMigrationObject, typeModule } from '../types/index.js';
import { isWord, string2ll } from './arguments.js';
import { dumpCommands } from './dump.js';
import { defineSpec } from './key-access.js';

export const MIGRATE_ERRORS = {
  keysOption: 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string',
  connecting: 'IOERR error or timeout connecting to the client',
  writing: 'IOERR error or timeout writing to target instance',
  reading: 'IOERR error or timeout reading to target instance',
  insideMulti: 'ERR MIGRATE is not allowed inside MULTI on tskv (its reply waits for the target)',
  busy: 'TRYAGAIN Multiple keys request during rehashing of slot',
} as const;

/** Redis's default when the timeout argument is not positive. */
const MIGRATE_TIMEOUT_DEFAULT_MS = 1000;
const links = new MigrateLinks();

interface MigrateRequest {
  host: string;
  port: number;
  db: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  username: Buffer | undefined;
  password: Buffer | undefined;
  keys: Buffer[];
}

function parseLong(arg: Buffer): number {
  const value = string2ll(arg);
  if (value === undefined) throw new CommandError(ERRORS.notInteger);
  return Number(value);
}

/** MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS key...]. */
function parseMigrate(args: Buffer[]): MigrateRequest {
  let copy = false;
  let replace = false;
  let username: Buffer | undefined;
  let password: Buffer | undefined;
  let firstKey = 3;
  let keyCount = 1;
  for (let index = 6; index < args.length; index++) {
    const arg = args[index] as Buffer;
    const more = args.length - 1 - index;
    if (isWord(arg, 'copy')) {
      copy = true;
    } else if (isWord(arg, 'replace')) {
      replace = true;
    } else if (isWord(arg, 'auth')) {
      if (more < 1) throw new CommandError(ERRORS.syntax);
      password = args[++index];
    } else if (isWord(arg, 'auth2')) {
      if (more < 2) throw new CommandError(ERRORS.syntax);
      username = args[++index];
      password = args[++index];
    } else if (isWord(arg, 'keys')) {
      if ((args[3] as Buffer).length !== 0) throw new CommandError(MIGRATE_ERRORS.keysOption);
      firstKey = index + 1;
      keyCount = args.length - index - 1;
      break;
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  const timeout = parseLong(args[5] as Buffer);
  const db = parseLong(args[4] as Buffer);
  const port = Number((args[2] as Buffer).toString('latin1'));
  return {
    host: (args[1] as Buffer).toString('latin1'), port: Number.isInteger(port) ? port : -1, db, timeoutMs: timeout <= 0 ? MIGRATE_TIMEOUT_DEFAULT_MS : timeout,
    copy, replace, username, password, keys: args.slice(firstKey, firstKey + keyCount),
  };
}

/** MIGRATE's key positions (Redis's migrateGetKeys): the key, or every key after KEYS. */
export function migrateKeyPositions(args: readonly Buffer[]): number[] {
  if (args.length > 6 && (args[3] as Buffer).length === 0) {
    for (let index = 6; index < args.length; index++) {
      if (isWord(args[index], 'keys')) return Array.from({ length: args.length - index - 1 }, (_, at) => index + 1 + at);
    }
  }
  return [3];
}

interface Prepared {
  key: Buffer;
  ttlMs: number;
  payload: Buffer;
}

/** The RESTORE payload of a live record: DUMP's, or tskv's own for a time series (no RDB form yet). */
function payloadOf(ctx: CommandContext, record: KeyRecord): Buffer {
  const { keyspace } = ctx.server;
  if (record.type === KEY_TYPE.timeseries) return createObjectDumpPayload(seriesMigrationObject(keyspace, record));
  const module = typeModule(record.type);
  if (module.dumpUnsupported !== undefined) throw new CommandError(module.dumpUnsupported);
  return createObjectDumpPayload(module.dumpObject(keyspace, record));
}

function encodeRequest(writer: RespWriter, words: readonly (Buffer | string)[]): void {
  writer.arrayHeader(words.length);
  for (const word of words) writer.bulk(word);
}

/** The bytes of one exchange: [AUTH] [SELECT] then one RESTORE per key. */
function buildExchange(request: MigrateRequest, prepared: readonly Prepared[], clusterMode: boolean, lastDb: number) {
  const writer = new RespWriter();
  let count = 0;
  if (request.password !== undefined) {
    encodeRequest(writer, request.username === undefined ? ['AUTH', request.password] : ['AUTH', request.username, request.password]);
    count++;
  }
  const select = lastDb !== request.db;
  if (select) {
    encodeRequest(writer, ['SELECT', String(request.db)]);
    count++;
  }
  for (const item of prepared) {
    const words: (Buffer | string)[] = [clusterMode ? 'RESTORE-ASKING' : 'RESTORE', item.key, String(item.ttlMs), item.payload];
    if (request.replace) words.push('REPLACE');
    encodeRequest(writer, words);
    count++;
  }
  return { bytes: Buffer.concat(writer.takeChunks()), count, db: request.db, prefixCount: count - prepared.length };
}

/**
 * What the exchange says (migrateCommand's reply loop): the keys the target took, and the error
 * to answer. An AUTH or SELECT error fails every key; a RESTORE error fails its key only; the
 * first error met is the one answered. A socket failure after some replies keeps what they took.
 */
function judge(result: ExchangeResult, prefixCount: number, prepared: readonly Prepared[]): { taken: Buffer[]; error: string | undefined } {
  const taken: Buffer[] = [];
  const prefixError = result.lines.slice(0, prefixCount).find((line) => line.startsWith('-'));
  let error = prefixError;
  for (let index = 0; index < prepared.length; index++) {
    const line = result.lines[prefixCount + index];
    if (line === undefined) break;
    if (prefixError !== undefined || line.startsWith('-')) error ??= line;
    else taken.push((prepared[index] as Prepared).key);
  }
  if (error !== undefined) return { taken, error: `ERR Target instance replied with error: ${error.slice(1)}` };
  return { taken, error: result.failure === undefined ? undefined : MIGRATE_ERRORS[result.failure] };
}

/** Sends, then deletes what the target took (durably), then unlocks; rejects with the reply's error. */
async function run(server: ServerState, request: MigrateRequest, sourceDb: number, prepared: Prepared[], locked: Buffer[]): Promise<void> {
  try {
    if (request.port < 0 || request.port > 65535) throw new CommandError(MIGRATE_ERRORS.connecting);
    let prefixCount = 0;
    const result = await links.exchange(request.host, request.port, request.timeoutMs, (lastDb) => {
      const built = buildExchange(request, prepared, server.cluster !== undefined, lastDb);
      prefixCount = built.prefixCount;
      return built;
    });
    const { taken, error } = judge(result, prefixCount, prepared);
    if (!request.copy && taken.length > 0) {
      const { keyspace } = server;
      for (const key of taken) keyspace.delete(sourceDb, key);
      const commit = keyspace.commit();
      if (commit !== undefined) {
        void server.trackCommit(commit);
        await commit;
      }
    }
    if (error !== undefined) throw new CommandError(error);
  } finally {
    server.migrationLocks.unlock(sourceDb, locked);
  }
}

function migrate(ctx: CommandContext, args: Buffer[]): void {
  const request = parseMigrate(args);
  const { server, client } = ctx;
  const { keyspace } = server;
  const present: { key: Buffer; record: KeyRecord }[] = [];
  for (const key of request.keys) {
    const record = keyspace.get(client.db, key);
    if (record !== undefined) present.push({ key, record });
  }
  if (present.length === 0) return ctx.out.simple('NOKEY');
  if (client.inExec) throw new CommandError(MIGRATE_ERRORS.insideMulti);
  const now = keyspace.now();
  const prepared: Prepared[] = [];
  for (const { key, record } of present) {
    let ttlMs = 0;
    if (record.expireAtMs !== 0) {
      ttlMs = record.expireAtMs - now;
      if (ttlMs < 0) continue;
      if (ttlMs < 1) ttlMs = 1;
    }
    prepared.push({ key: Buffer.from(key), ttlMs, payload: payloadOf(ctx, record) });
  }
  const locked = prepared.map((item) => item.key);
  if (!server.migrationLocks.lock(client.db, locked)) throw new CommandError(MIGRATE_ERRORS.busy);
  server.replyWaitsFor = run(server, request, client.db, prepared, locked);
  ctx.out.raw(REPLY.ok);
}

const restoreHandler = dumpCommands.find((spec) => spec.name === 'restore')?.handler;

export const migrateCommands: CommandSpec[] = [
  defineSpec('generic', {
    name: 'migrate', arity: -6, flags: ['write'], keys: [3, 3, 1], keyPositions: migrateKeyPositions,
    summary: 'Atomically transfer a key from a Redis instance to another one.', since: '2.6.0', handler: migrate,
  }),
  defineSpec('server', {
    name: 'restore-asking', arity: -4, flags: ['write', 'denyoom', 'asking'], keys: [1, 1, 1],
    summary: 'An internal command for migrating keys in a cluster', since: '3.0.0',
    handler: (ctx, args) => (restoreHandler as (ctx: CommandContext, args: Buffer[]) => void)(ctx, args),
  }),
];
