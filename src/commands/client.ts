// src/commands/client.ts: CLIENT and its subcommands (ID, GETNAME, SETNAME, INFO, LIST, SETINFO,
// KILL, NO-EVICT, NO-TOUCH, REPLY, UNBLOCK, HELP), with Redis 7.2's replies and error texts
// (src/networking.c clientCommand).
// Invariants:
// - CLIENT KILL closes other clients at once and this client only after its reply (Redis's
//   CLIENT_CLOSE_AFTER_COMMAND); the old form `CLIENT KILL addr` answers OK or 'No such client'.
import { CommandError, ERRORS, unknownSubcommand } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import type { ClientState } from '../dispatch/client-state.js';
import { REPLY } from '../../protocol/index.js';
import { parseInt64, parseInteger } from './arguments.js';
import { BLOCKING_ERRORS, unblockClient } from '../dispatch/blocking.js';
import { validClientName } from './connection.js';

const HELP_LINES = [
  'CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GETNAME', '    Return the name of the current connection.',
  'ID', '    Return the ID of the current connection.',
  'INFO', '    Return information about the current client connection.',
  'KILL <ip:port>', '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]', '    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,',
  '    TYPE (NORMAL|MASTER|REPLICA|PUBSUB), USER <username>, SKIPME (YES|NO), MAXAGE <seconds>.',
  'LIST [options ...]', '    Return information about client connections. Options: TYPE (NORMAL|MASTER|REPLICA|PUBSUB), ID <client-id> [...].',
  'NO-EVICT (ON|OFF)', '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)', '    Will not touch LRU/LFU stats when this mode is on.',
  'REPLY (ON|OFF|SKIP)', '    Control the replies sent to the current connection.',
  'SETNAME <name>', '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>', '    Set client meta attr. Options are: LIB-NAME, LIB-VER.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]', '    Unblock the specified blocked client.',
  'HELP', '    Print this help.',
];

function onOff(arg: Buffer): boolean {
  const word = arg.toString('latin1').toLowerCase();
  if (word === 'on') return true;
  if (word === 'off') return false;
  throw new CommandError(ERRORS.syntax);
}

function list(ctx: CommandContext, args: Buffer[]): void {
  let ids: Set<number> | undefined;
  let type: string | undefined;
  for (let index = 2; index < args.length; index++) {
    const option = (args[index] as Buffer).toString('latin1').toLowerCase();
    if (option === 'type' && index + 1 < args.length) {
      type = (args[++index] as Buffer).toString('latin1').toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) throw new CommandError(`ERR Unknown client type '${type}'`);
    } else if (option === 'id' && index + 1 < args.length) {
      ids = new Set();
      while (index + 1 < args.length) ids.add(parseInteger(args[++index] as Buffer, 'ERR Invalid client ID'));
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  const nowMs = Date.now();
  let text = '';
  for (const client of ctx.server.clients.values()) {
    if (ids && !ids.has(client.id)) continue;
    if (type !== undefined && type !== client.type()) continue;
    text += `${client.describe(nowMs)}\n`;
  }
  ctx.out.verbatim(text, 'txt');
}

interface KillFilter {
  id?: number;
  address?: string;
  localAddress?: string;
  type?: string;
  user?: string;
  skipMe: boolean;
  maxAgeS?: number;
}

function parseKillFilter(args: Buffer[]): KillFilter {
  const filter: KillFilter = { skipMe: true };
  if ((args.length - 2) % 2 !== 0) throw new CommandError(ERRORS.syntax);
  for (let index = 2; index < args.length; index += 2) {
    const option = (args[index] as Buffer).toString('latin1').toLowerCase();
    const value = (args[index + 1] as Buffer).toString('latin1');
    if (option === 'id') filter.id = parseInteger(args[index + 1] as Buffer, 'ERR client-id should be greater than 0');
    else if (option === 'addr') filter.address = value;
    else if (option === 'laddr') filter.localAddress = value;
    else if (option === 'type') filter.type = value.toLowerCase();
    else if (option === 'user') filter.user = value;
    else if (option === 'maxage') filter.maxAgeS = parseInteger(args[index + 1] as Buffer, ERRORS.notInteger);
    else if (option === 'skipme') {
      const yes = value.toLowerCase();
      if (yes !== 'yes' && yes !== 'no') throw new CommandError(ERRORS.syntax);
      filter.skipMe = yes === 'yes';
    } else throw new CommandError(ERRORS.syntax);
  }
  return filter;
}

function killMatches(filter: KillFilter, client: ClientState, self: ClientState, nowMs: number): boolean {
  if (filter.id !== undefined && client.id !== filter.id) return false;
  if (filter.address !== undefined && client.address !== filter.address) return false;
  if (filter.localAddress !== undefined && client.localAddress !== filter.localAddress) return false;
  if (filter.type !== undefined && filter.type !== client.type()) return false;
  if (filter.user !== undefined && filter.user !== 'default') return false;
  if (filter.maxAgeS !== undefined && nowMs - client.createdAtMs < filter.maxAgeS * 1000) return false;
  if (filter.skipMe && client === self) return false;
  return true;
}

function kill(ctx: CommandContext, args: Buffer[]): void {
  const self = ctx.client;
  const closeClient = (client: ClientState) => {
    if (client === self) client.connection.closeAfterReply();
    else client.connection.destroy('CLIENT KILL');
  };
  if (args.length === 3) {
    const address = (args[2] as Buffer).toString('latin1');
    const target = [...ctx.server.clients.values()].find((client) => client.address === address);
    if (target === undefined) throw new CommandError('ERR No such client');
    closeClient(target);
    ctx.out.simple('OK');
    return;
  }
  const filter = parseKillFilter(args);
  const nowMs = Date.now();
  let killed = 0;
  for (const client of [...ctx.server.clients.values()]) {
    if (!killMatches(filter, client, self, nowMs)) continue;
    closeClient(client);
    killed++;
  }
  ctx.out.integer(killed);
}

function setInfo(ctx: CommandContext, args: Buffer[]): void {
  const attribute = (args[2] as Buffer).toString('latin1').toLowerCase();
  const value = args[3] as Buffer;
  for (const byte of value) {
    if (byte < 0x21 || byte > 0x7e) throw new CommandError(`ERR ${attribute} cannot contain spaces, newlines or special characters.`);
  }
  if (attribute === 'lib-name') ctx.client.libName = value.toString('latin1');
  else if (attribute === 'lib-ver') ctx.client.libVersion = value.toString('latin1');
  else throw new CommandError(`ERR Unrecognized option '${(args[2] as Buffer).toString('latin1')}'`);
  ctx.out.simple('OK');
}

function reply(ctx: CommandContext, args: Buffer[]): void {
  const mode = (args[2] as Buffer).toString('latin1').toLowerCase();
  if (mode === 'on') {
    ctx.client.replyMode = 'on';
    ctx.out.simple('OK');
  } else if (mode === 'off') {
    ctx.client.replyMode = 'off';
  } else if (mode === 'skip') {
    if (ctx.client.replyMode !== 'off') ctx.client.replyMode = 'skip';
  } else {
    throw new CommandError(ERRORS.syntax);
  }
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if that client was blocked (it gets a timeout's reply or an error), else 0. */
function unblock(ctx: CommandContext, args: Buffer[]): void {
  if (args.length > 4) throw new CommandError(`ERR unknown subcommand or wrong number of arguments for '${(args[1] as Buffer).toString('latin1').slice(0, 128)}'. Try CLIENT HELP.`);
  let how: 'timeout' | 'error' = 'timeout';
  if (args.length === 4) {
    const reason = (args[3] as Buffer).toString('latin1').toLowerCase();
    if (reason === 'error') how = 'error';
    else if (reason !== 'timeout') throw new CommandError(BLOCKING_ERRORS.unblockReason);
  }
  const id = parseInt64(args[2] as Buffer);
  const target = id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? ctx.server.clients.get(Number(id)) : undefined;
  ctx.out.raw(target !== undefined && unblockClient(ctx.server, target, how) ? REPLY.one : REPLY.zero);
}

const sub = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'connection', since: '2.4.0' } as const;
const flags = ['noscript', 'loading', 'stale'] as const;

export function writeHelp(ctx: CommandContext, lines: readonly string[]): void {
  ctx.out.arrayHeader(lines.length);
  for (const line of lines) ctx.out.simple(line);
}

export const clientCommands: CommandSpec[] = [
  {
    name: 'client', arity: -2, flags: [], firstKey: 0, lastKey: 0, keyStep: 0, group: 'connection', since: '2.4.0',
    summary: 'A container for client connection commands.',
    handler: (_ctx, args) => {
      throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'client'));
    },
    subcommands: [
      { ...sub, name: 'id', arity: 2, flags, summary: 'Returns the unique client ID of the connection.', since: '5.0.0', handler: (ctx) => ctx.out.integer(ctx.client.id) },
      {
        ...sub, name: 'getname', arity: 2, flags, summary: 'Returns the name of the connection.',
        handler: (ctx) => (ctx.client.name === '' ? ctx.out.nullBulk() : ctx.out.bulk(ctx.client.name)),
      },
      {
        ...sub, name: 'setname', arity: 3, flags, summary: 'Sets the connection name.',
        handler: (ctx, args) => {
          ctx.client.name = validClientName(args[2] as Buffer);
          ctx.out.simple('OK');
        },
      },
      { ...sub, name: 'info', arity: 2, flags, summary: 'Returns information about the connection.', since: '6.2.0', handler: (ctx) => ctx.out.verbatim(`${ctx.client.describe(Date.now())}\n`, 'txt') },
      { ...sub, name: 'list', arity: -2, flags: [...flags, 'admin'], summary: 'Lists open connections.', handler: list },
      { ...sub, name: 'setinfo', arity: 4, flags, summary: 'Sets information specific to the client or connection.', since: '7.2.0', handler: setInfo },
      { ...sub, name: 'kill', arity: -3, flags: [...flags, 'admin'], summary: 'Terminates open connections.', handler: kill },
      {
        ...sub, name: 'no-evict', arity: 3, flags: [...flags, 'admin'], summary: 'Sets the client eviction mode of the connection.', since: '7.0.0',
        handler: (ctx, args) => {
          ctx.client.noEvict = onOff(args[2] as Buffer);
          ctx.out.simple('OK');
        },
      },
      {
        ...sub, name: 'no-touch', arity: 3, flags, summary: 'Controls whether commands sent by the client affect the LRU/LFU of accessed keys.', since: '7.2.0',
        handler: (ctx, args) => {
          ctx.client.noTouch = onOff(args[2] as Buffer);
          ctx.out.simple('OK');
        },
      },
      { ...sub, name: 'unblock', arity: -3, flags: [...flags, 'admin'], summary: 'Unblocks a client blocked by a blocking command from a different connection.', since: '5.0.0', handler: unblock },
      { ...sub, name: 'reply', arity: 3, flags, summary: 'Instructs the server whether to reply to commands.', since: '3.2.0', handler: reply },
      { ...sub, name: 'help', arity: 2, flags, summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', handler: (ctx) => writeHelp(ctx, HELP_LINES) },
    ],
  },
];
