// src/commands/replication.ts: REPLICAOF / SLAVEOF, ROLE, WAIT, and the replication handshake a
// tskv replica sends its primary (REPLCONF, PSYNC), as Redis 7.0's src/replication.c answers them;
// the work is src/replication/replication.ts's.
// Invariants:
// - PSYNC serves only a connection that said REPLCONF tskv-wal 1 (a tskv replica): a Redis replica
//   would expect an RDB. The connection is handed over (connection.handOver) once the replies it
//   is owed are written; it is then a replica link, not a client.
// - WAIT counts replicas that acked (fsynced) every write this server had taken when WAIT ran (the
//   engine's sequence number then; Redis uses the client's last write offset, which is at most
//   that). Inside EXEC it answers at once, as Redis does inside MULTI.
import { CommandError, ERRORS, LateReply } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import type { ClientState } from '../dispatch/client-state.js';
import { mayBlock } from '../dispatch/blocking.js';
import { parseInteger, parseInt64 } from './arguments.js';

export const REPLICATION_COMMAND_ERRORS = {
  clusterMode: 'ERR REPLICAOF not allowed in cluster mode.',
  invalidPort: 'ERR Invalid master port',
  loading: 'ERR a full copy from the primary is being installed: try REPLICAOF again once it is in',
  waitOnReplica:
    'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
  timeoutNotInteger: 'ERR timeout is not an integer or out of range',
  timeoutNegative: 'ERR timeout is negative',
  noMasterLink: "NOMASTERLINK Can't SYNC while not connected with my master",
  notTskvReplica: 'ERR tskv serves PSYNC to tskv replicas only (send REPLCONF tskv-wal 1 first): a tskv primary streams its WAL, not an RDB',
  unrecognizedOption: (option: string) => `ERR Unrecognized REPLCONF option: ${option}`,
} as const;

/** What a connection told us with REPLCONF before PSYNC. */
interface ReplicaHello {
  listeningPort: number;
  ipAddress: string | undefined;
  tskvWal: boolean;
}

const hellos = new WeakMap<ClientState, ReplicaHello>();

function helloOf(client: ClientState): ReplicaHello {
  let hello = hellos.get(client);
  if (hello === undefined) {
    hello = { listeningPort: 0, ipAddress: undefined, tskvWal: false };
    hellos.set(client, hello);
  }
  return hello;
}

function replicaOf(ctx: CommandContext, args: Buffer[]): void {
  const { server } = ctx;
  const replication = server.replication;
  if (server.cluster !== undefined || replication === undefined) throw new CommandError(REPLICATION_COMMAND_ERRORS.clusterMode);
  const host = (args[1] as Buffer).toString();
  if (host.toLowerCase() === 'no' && (args[2] as Buffer).toString().toLowerCase() === 'one') {
    if (server.loading) throw new CommandError(REPLICATION_COMMAND_ERRORS.loading);
    replication.promote();
    ctx.out.simple('OK');
    return;
  }
  const port = parseInteger(args[2] as Buffer, REPLICATION_COMMAND_ERRORS.invalidPort);
  if (port < 0 || port > 65535) throw new CommandError(REPLICATION_COMMAND_ERRORS.invalidPort);
  if (server.loading) throw new CommandError(REPLICATION_COMMAND_ERRORS.loading);
  if (replication.replicaOf(host, port) === 'already') ctx.out.simple('OK Already connected to specified master');
  else ctx.out.simple('OK');
}

function role(ctx: CommandContext): void {
  const { out } = ctx;
  const reply = ctx.server.replication?.roleReply() ?? { kind: 'master' as const, offset: ctx.server.engine.sequence(), replicas: [] };
  if (reply.kind === 'master') {
    out.arrayHeader(3);
    out.bulk('master');
    out.integer(reply.offset);
    out.arrayHeader(reply.replicas.length);
    for (const [ip, port, offset] of reply.replicas) {
      out.arrayHeader(3);
      out.bulk(ip);
      out.bulk(port);
      out.bulk(offset);
    }
    return;
  }
  out.arrayHeader(5);
  out.bulk('slave');
  out.bulk(reply.host);
  out.integer(reply.port);
  out.bulk(reply.state);
  out.integer(reply.offset);
}

function wait(ctx: CommandContext, args: Buffer[]): void {
  const { server } = ctx;
  const replication = server.replication;
  if (replication?.isReplica() === true) throw new CommandError(REPLICATION_COMMAND_ERRORS.waitOnReplica);
  const count = parseInteger(args[1] as Buffer);
  const timeout = parseInt64(args[2] as Buffer, REPLICATION_COMMAND_ERRORS.timeoutNotInteger);
  if (timeout < 0n) throw new CommandError(REPLICATION_COMMAND_ERRORS.timeoutNegative);
  const seq = server.engine.sequence();
  const acked = replication?.ackedCount(seq) ?? 0;
  if (replication === undefined || acked >= count || !mayBlock(ctx)) {
    ctx.out.integer(acked);
    return;
  }
  const timeoutMs = timeout > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(timeout);
  // the reply is decided when enough replicas acked, or at the timeout: the connection writes it then
  server.replyWaitsFor = new Promise<void>((_resolve, reject) => {
    replication.wait(seq, count, timeoutMs, (result) => {
      reject(typeof result === 'number' ? new LateReply(Buffer.from(`:${result}\r\n`)) : new CommandError(result.message));
    });
  });
}

function replconf(ctx: CommandContext, args: Buffer[]): void {
  if (args.length % 2 === 0) throw new CommandError(ERRORS.syntax);
  const hello = helloOf(ctx.client);
  for (let index = 1; index < args.length; index += 2) {
    const option = (args[index] as Buffer).toString().toLowerCase();
    const value = args[index + 1] as Buffer;
    if (option === 'listening-port') hello.listeningPort = parseInteger(value);
    else if (option === 'ip-address') hello.ipAddress = value.toString();
    else if (option === 'tskv-wal') hello.tskvWal = value.toString() === '1';
    else if (option === 'ack' || option === 'getack') return; // only a replica link answers these (replica-link.ts); a client gets nothing
    else if (option !== 'capa' && option !== 'rdb-only' && option !== 'rdb-filter-only') {
      throw new CommandError(REPLICATION_COMMAND_ERRORS.unrecognizedOption((args[index] as Buffer).toString()));
    }
  }
  ctx.out.simple('OK');
}

function psync(ctx: CommandContext, args: Buffer[]): void {
  const { server, client } = ctx;
  const replication = server.replication;
  const hello = hellos.get(client);
  if (replication === undefined || hello === undefined || !hello.tskvWal) throw new CommandError(REPLICATION_COMMAND_ERRORS.notTskvReplica);
  if (!replication.canServePsync()) throw new CommandError(REPLICATION_COMMAND_ERRORS.noMasterLink);
  const seqText = (args[2] as Buffer).toString();
  const seq = seqText === '-1' ? -1 : parseInteger(args[2] as Buffer);
  const replid = (args[1] as Buffer).toString();
  const address = hello.ipAddress ?? client.address.slice(0, client.address.lastIndexOf(':'));
  const request = { replid, seq, address, listeningPort: hello.listeningPort };
  client.connection.handOver((socket, reader) => replication.accept(socket, reader, request));
}

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', since: '1.0.0' } as const;
const replicaOfSpec = {
  ...base, arity: 3, flags: ['admin', 'noscript', 'stale'], summary: 'Make the server a replica of another instance, or promote it as master.', handler: replicaOf,
} as const;

export const replicationCommands: CommandSpec[] = [
  { ...replicaOfSpec, name: 'replicaof', since: '5.0.0' },
  { ...replicaOfSpec, name: 'slaveof' },
  { ...base, name: 'role', arity: 1, flags: ['noscript', 'loading', 'stale', 'fast'], summary: 'Returns the replication role.', since: '2.8.12', handler: role },
  {
    ...base, group: 'generic', name: 'wait', arity: 3, flags: ['noscript'], since: '3.0.0',
    summary: 'Blocks until the given number of replicas have the writes made so far durably (fsynced).', handler: wait,
  },
  { ...base, name: 'replconf', arity: -1, flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], summary: 'An internal command for configuring the replication stream', since: '3.0.0', handler: replconf },
  { ...base, name: 'psync', arity: -3, flags: ['admin', 'noscript', 'no_multi'], summary: 'Internal command used for replication', since: '2.8.0', handler: psync },
];
