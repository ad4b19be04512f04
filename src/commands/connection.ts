// src/commands/connection.ts: the connection family: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT.
// CLIENT lives in client.ts. Texts are Redis 7.2's (src/server.c helloCommand, src/acl.c
// authCommand, src/db.c selectCommand), word for word.
// Invariants:
// - Without --requirepass every client starts authenticated; AUTH then only answers the
//   no-password error (one argument) or accepts user 'default' with any password (two), as Redis
//   does for a default user with nopass.
// - Passwords are compared in constant time.
import { timingSafeEqual, createHash } from 'node:crypto';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { REPLY } from '../../protocol/index.js';
import { parseInteger } from './arguments.js';
import { stopMonitoring } from '../dispatch/monitor.js';
import { discardTransaction } from '../dispatch/transactions.js';
import { CLUSTER_FLAGS_KEY } from '../dispatch/cluster-gate.js';

const PONG = Buffer.from('pong');
const EMPTY = Buffer.alloc(0);

const HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time';

function digest(text: Buffer | string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Checks a user name and password against --requirepass; true when they may log in. */
export function passwordMatches(ctx: CommandContext, username: Buffer, password: Buffer): boolean {
  if (username.toString('latin1') !== 'default') return false;
  const required = ctx.server.config.requirepass;
  if (required === '') return true; // the default user has nopass
  return timingSafeEqual(digest(password), digest(required));
}

function auth(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 3) throw new CommandError(ERRORS.syntax);
  if (args.length === 2 && ctx.server.config.requirepass === '') throw new CommandError(ERRORS.noPasswordSet);
  const username = args.length === 3 ? (args[1] as Buffer) : Buffer.from('default');
  const password = args[args.length - 1] as Buffer;
  if (!passwordMatches(ctx, username, password)) {
    ctx.server.logger.warn({ client: ctx.client.id, address: ctx.client.address }, 'failed AUTH');
    throw new CommandError(ERRORS.wrongPass);
  }
  ctx.client.authenticated = true;
  ctx.out.simple('OK');
}

interface HelloOptions {
  version: number | undefined;
  username: Buffer | undefined;
  password: Buffer | undefined;
  name: Buffer | undefined;
}

function parseHello(args: Buffer[]): HelloOptions {
  const options: HelloOptions = { version: undefined, username: undefined, password: undefined, name: undefined };
  if (args.length >= 2) options.version = parseInteger(args[1] as Buffer, 'ERR Protocol version is not an integer or out of range');
  for (let index = 2; index < args.length; index++) {
    const option = (args[index] as Buffer).toString('latin1');
    const more = args.length - 1 - index;
    if (option.toLowerCase() === 'auth' && more >= 2) {
      options.username = args[index + 1];
      options.password = args[index + 2];
      index += 2;
    } else if (option.toLowerCase() === 'setname' && more >= 1) {
      options.name = args[index + 1];
      index += 1;
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${option}'`);
    }
  }
  return options;
}

function hello(ctx: CommandContext, args: Buffer[]): void {
  const { client, out } = ctx;
  const options = parseHello(args);
  if (options.version !== undefined && (options.version < 2 || options.version > 3)) throw new CommandError(ERRORS.noProto);
  if (options.username !== undefined && options.password !== undefined) {
    if (!passwordMatches(ctx, options.username, options.password)) throw new CommandError(ERRORS.wrongPass);
    client.authenticated = true;
  }
  if (!client.authenticated) throw new CommandError(HELLO_NOAUTH);
  if (options.name !== undefined) client.name = validClientName(options.name);
  if (options.version !== undefined) {
    client.protocol = options.version as 2 | 3;
    out.protocol = client.protocol; // the map below is already in the new protocol, as in Redis
  }
  out.mapHeader(7);
  out.bulk('server');
  out.bulk('redis');
  out.bulk('version');
  out.bulk(REDIS_VERSION_FOR_CLIENTS);
  out.bulk('proto');
  out.integer(client.protocol);
  out.bulk('id');
  out.integer(client.id);
  out.bulk('mode');
  out.bulk(ctx.server.cluster === undefined ? 'standalone' : 'cluster');
  out.bulk('role');
  out.bulk(ctx.server.replication?.isReplica() === true ? 'replica' : 'master');
  out.bulk('modules');
  out.arrayHeader(0);
}

/** Redis's rule for CLIENT SETNAME / HELLO SETNAME: printable ASCII without spaces. */
export function validClientName(name: Buffer): string {
  for (const byte of name) {
    if (byte < 0x21 || byte > 0x7e) throw new CommandError('ERR Client names cannot contain spaces, newlines or special characters.');
  }
  return name.toString('latin1');
}

function select(ctx: CommandContext, args: Buffer[]): void {
  const index = parseInteger(args[1] as Buffer, ERRORS.notInteger);
  if (ctx.server.cluster !== undefined && index !== 0) throw new CommandError('ERR SELECT is not allowed in cluster mode');
  if (index < 0 || index >= ctx.server.config.databases) throw new CommandError(ERRORS.dbIndexOutOfRange);
  ctx.client.db = index;
  ctx.out.simple('OK');
}

function reset(ctx: CommandContext): void {
  const { client } = ctx;
  discardTransaction(client, ctx.server.keyspace); // MULTI queue and watched keys
  client.db = 0;
  client.protocol = 2;
  ctx.out.protocol = 2;
  client.name = '';
  client.replyMode = 'on';
  client.noEvict = false;
  client.noTouch = false;
  client.extensions.delete(CLUSTER_FLAGS_KEY); // ASKING, READONLY
  stopMonitoring(ctx.server, client);
  ctx.server.pubsub.unsubscribeAll(client); // no unsubscribe frames, as Redis's clearClientConnectionState
  client.authenticated = ctx.server.config.requirepass === '';
  ctx.out.simple('RESET');
}

export const REDIS_VERSION_FOR_CLIENTS = '7.2.0';

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'connection' } as const;

export const connectionCommands: CommandSpec[] = [
  {
    ...base, name: 'ping', arity: -1, flags: ['fast', 'stale'], summary: 'Returns the server\'s liveliness response.', since: '1.0.0',
    handler: (ctx, args) => {
      if (args.length > 2) throw new CommandError("ERR wrong number of arguments for 'ping' command");
      if (ctx.client.subscribed && ctx.client.protocol === 2) { // Pub/Sub mode in RESP2: ["pong", message or ""]
        ctx.out.arrayHeader(2);
        ctx.out.bulk(PONG);
        ctx.out.bulk(args[1] ?? EMPTY);
      } else if (args.length === 2) ctx.out.bulk(args[1] as Buffer);
      else ctx.out.raw(REPLY.pong);
    },
  },
  { ...base, name: 'echo', arity: 2, flags: ['fast'], summary: 'Returns the given string.', since: '1.0.0', handler: (ctx, args) => ctx.out.bulk(args[1] as Buffer) },
  {
    ...base, name: 'quit', arity: -1, flags: ['no_auth', 'fast', 'stale', 'loading', 'allow_busy'], summary: 'Closes the connection.', since: '1.0.0',
    handler: (ctx) => {
      ctx.out.simple('OK');
      ctx.client.connection.closeAfterReply();
    },
  },
  { ...base, name: 'reset', arity: 1, flags: ['no_auth', 'fast', 'stale', 'loading', 'allow_busy', 'noscript'], summary: 'Resets the connection.', since: '6.2.0', handler: (ctx) => reset(ctx) },
  { ...base, name: 'hello', arity: -1, flags: ['no_auth', 'fast', 'stale', 'loading', 'allow_busy', 'noscript'], summary: 'Handshakes with the Redis server.', since: '6.0.0', handler: hello },
  { ...base, name: 'auth', arity: -2, flags: ['no_auth', 'fast', 'stale', 'loading', 'allow_busy', 'noscript'], summary: 'Authenticates the connection.', since: '1.0.0', handler: auth },
  { ...base, name: 'select', arity: 2, flags: ['fast', 'stale', 'loading'], summary: 'Changes the selected database.', since: '1.0.0', handler: select },
];

