// src/commands/introspection.ts: COMMAND, COMMAND COUNT / INFO / DOCS / LIST / GETKEYS /
// GETKEYSANDFLAGS / HELP, all read from the one command table, in Redis 7's reply shapes
// (src/server.c addReplyCommandInfo; COMMAND DOCS in command-docs.ts): a command's info is
// [name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands].
// Invariants:
// - What COMMAND says (arity, flags, keys) is exactly what dispatch enforces: both read CommandSpec.
import { CommandError, ERRORS, unknownSubcommand } from '../dispatch/errors.js';
import {
  allCommands, arityMatches, commandCount, commandKeyPositions, lookupCommandByName, resolveEntry, type CommandContext, type CommandEntry,
  type CommandSpec,
} from '../dispatch/command-table.js';
import { globMatch } from '../../protocol/index.js';
import { writeHelp } from './client.js';
import { writeCommandDocs } from './command-docs.js';
import { keyFlagNames, keyFlagsByPosition, redisKeySpecs } from './redis-commands.js';

function aclCategories(entry: CommandEntry): string[] {
  const spec = entry.spec;
  const categories: string[] = [];
  if (spec.flags.includes('write')) categories.push('@write');
  if (spec.flags.includes('readonly')) categories.push('@read');
  if (spec.firstKey > 0) categories.push('@keyspace');
  const group = (entry.container ?? entry).spec.group;
  if (group === 'string' || group === 'connection' || group === 'transactions' || group === 'scripting') categories.push(`@${group}`);
  if (spec.flags.includes('admin')) categories.push('@admin', '@dangerous');
  categories.push(spec.flags.includes('fast') ? '@fast' : '@slow');
  return categories;
}

function writeKeySpecs(ctx: CommandContext, spec: CommandSpec): void {
  if (spec.firstKey <= 0) {
    ctx.out.arrayHeader(0);
    return;
  }
  const { out } = ctx;
  out.arrayHeader(1);
  out.mapHeader(3);
  out.bulk('flags');
  out.arrayHeader(1);
  out.simple(spec.flags.includes('write') ? 'RW' : 'RO');
  out.bulk('begin_search');
  out.mapHeader(2);
  out.bulk('type');
  out.bulk('index');
  out.bulk('spec');
  out.mapHeader(1);
  out.bulk('index');
  out.integer(spec.firstKey);
  out.bulk('find_keys');
  out.mapHeader(2);
  out.bulk('type');
  out.bulk('range');
  out.bulk('spec');
  out.mapHeader(3);
  out.bulk('lastkey');
  out.integer(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
  out.bulk('keystep');
  out.integer(spec.keyStep);
  out.bulk('limit');
  out.integer(0);
}

export function writeCommandInfo(ctx: CommandContext, entry: CommandEntry): void {
  const { out } = ctx;
  const spec = entry.spec;
  out.arrayHeader(10);
  out.bulk(entry.fullName);
  out.integer(spec.arity);
  out.setHeader(spec.flags.length);
  for (const flag of spec.flags) out.simple(flag);
  out.integer(spec.firstKey);
  out.integer(spec.lastKey);
  out.integer(spec.keyStep);
  const categories = aclCategories(entry);
  out.setHeader(categories.length);
  for (const category of categories) out.simple(category);
  out.arrayHeader(0);
  writeKeySpecs(ctx, spec);
  const subs = [...(entry.subcommands?.values() ?? [])];
  out.arrayHeader(subs.length);
  for (const sub of subs) writeCommandInfo(ctx, sub);
}

function namedEntries(args: Buffer[]): Array<CommandEntry | undefined> {
  return args.slice(2).map((arg) => lookupCommandByName(arg.toString('latin1')));
}

function commandInfo(ctx: CommandContext, args: Buffer[]): void {
  const entries = args.length > 2 ? namedEntries(args) : [...allCommands()];
  ctx.out.arrayHeader(entries.length);
  for (const entry of entries) {
    if (entry === undefined) ctx.out.nullArray();
    else writeCommandInfo(ctx, entry);
  }
}

function commandDocs(ctx: CommandContext, args: Buffer[]): void {
  const entries = (args.length > 2 ? namedEntries(args) : [...allCommands()]).filter((entry): entry is CommandEntry => entry !== undefined);
  ctx.out.mapHeader(entries.length);
  for (const entry of entries) {
    ctx.out.bulk(entry.fullName);
    writeCommandDocs(ctx, entry);
  }
}

function commandList(ctx: CommandContext, args: Buffer[]): void {
  let filter: (entry: CommandEntry) => boolean = () => true;
  if (args.length > 2) {
    if (args.length !== 5 || (args[2] as Buffer).toString('latin1').toLowerCase() !== 'filterby') throw new CommandError(ERRORS.syntax);
    const kind = (args[3] as Buffer).toString('latin1').toLowerCase();
    const value = (args[4] as Buffer).toString('latin1');
    if (kind === 'module') filter = () => false;
    else if (kind === 'aclcat') filter = (entry) => aclCategories(entry).includes(`@${value.toLowerCase()}`);
    else if (kind === 'pattern') filter = (entry) => globMatch(Buffer.from(value.toLowerCase()), Buffer.from(entry.fullName));
    else throw new CommandError(ERRORS.syntax);
  }
  const names: string[] = [];
  for (const entry of allCommands()) {
    if (filter(entry)) names.push(entry.fullName);
    for (const sub of entry.subcommands?.values() ?? []) if (filter(sub)) names.push(sub.fullName);
  }
  ctx.out.arrayHeader(names.length);
  for (const name of names) ctx.out.bulk(name);
}

/** Key flags Redis works out from the arguments rather than its key specs (src/db.c setGetKeys). */
const VARIABLE_KEY_FLAGS: Readonly<Record<string, (args: readonly Buffer[]) => readonly string[]>> = {
  set: (args) => (args.slice(3).some((arg) => arg.toString('latin1').toLowerCase() === 'get') ? ['RW', 'ACCESS', 'UPDATE'] : ['OW', 'UPDATE']),
};

/** COMMAND GETKEYS / GETKEYSANDFLAGS, checking in src/server.c getKeysSubcommandImpl's order. */
function commandGetKeys(ctx: CommandContext, args: Buffer[], withFlags: boolean): void {
  const target = args.slice(2);
  const entry = resolveEntry(target);
  if (entry === undefined) throw new CommandError('ERR Invalid command specified');
  const keySpecs = redisKeySpecs(entry.fullName); // SSUBSCRIBE's shard channels: not_key specs, so no keys here
  const notKeys = keySpecs.length > 0 && keySpecs.every((spec) => spec.flags.includes('NOT_KEY'));
  if ((entry.spec.firstKey <= 0 && entry.spec.keyPositions === undefined) || notKeys) throw new CommandError('ERR The command has no key arguments');
  if (!arityMatches(entry.spec, target.length)) throw new CommandError('ERR Invalid number of arguments specified for command');
  const positions = commandKeyPositions(entry.spec, target);
  if (positions.length === 0) throw new CommandError('ERR Invalid arguments specified for command');
  const { out } = ctx;
  out.arrayHeader(positions.length);
  if (!withFlags) {
    for (const position of positions) out.bulk(target[position] as Buffer);
    return;
  }
  const variable = VARIABLE_KEY_FLAGS[entry.fullName]?.(target);
  const specFlags = keyFlagsByPosition(entry.fullName, target);
  for (const position of positions) {
    const flags = keyFlagNames(variable ?? specFlags.get(position) ?? [entry.isWrite ? 'RW' : 'RO']);
    out.arrayHeader(2);
    out.bulk(target[position] as Buffer);
    out.setHeader(flags.length);
    for (const flag of flags) out.simple(flag);
  }
}

const HELP = [ // src/server.c commandHelpCommand, with addReplyHelp's first and last lines
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)', '    Return details about all Redis commands.',
  'COUNT', '    Return the total number of commands in this Redis server.',
  'LIST', '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]', '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all', '    commands are returned.',
  'DOCS [<command-name> ...]', '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all', '    commands are returned.',
  'GETKEYS <full-command>', '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>', '    Return the keys and the access flags from a full Redis command.',
  'HELP', '    Prints this help.',
];

const sub = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', since: '7.0.0', flags: ['loading', 'stale'] as const };

export const introspectionCommands: CommandSpec[] = [
  {
    name: 'command', arity: -1, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, keyStep: 0, group: 'server', since: '2.8.13',
    summary: 'Returns detailed information about all commands.',
    handler: (ctx, args) => {
      if (args.length > 1) throw new CommandError(unknownSubcommand(args[1] as Buffer, 'command'));
      commandInfo(ctx, args);
    },
    subcommands: [
      { ...sub, name: 'count', arity: 2, summary: 'Returns a count of commands.', since: '2.8.13', handler: (ctx) => ctx.out.integer(commandCount()) },
      { ...sub, name: 'info', arity: -2, summary: 'Returns information about one, multiple or all commands.', since: '2.8.13', handler: commandInfo },
      { ...sub, name: 'docs', arity: -2, summary: 'Returns documentary information about one, multiple or all commands.', handler: commandDocs },
      { ...sub, name: 'list', arity: -2, summary: 'Returns a list of command names.', handler: commandList },
      { // arity -3 as in Redis 7.2 (7.0 says -4): `COMMAND GETKEYS set` is refused by the check on SET's arity
        ...sub, name: 'getkeys', arity: -4, summary: 'Extracts the key names from an arbitrary command.', since: '2.8.13',
        handler: (ctx, args) => commandGetKeys(ctx, args, false),
      },
      {
        ...sub, name: 'getkeysandflags', arity: -4, summary: 'Extracts the key names and access flags for an arbitrary command.',
        handler: (ctx, args) => commandGetKeys(ctx, args, true),
      },
      { ...sub, name: 'help', arity: 2, summary: 'Returns helpful text about the different subcommands.', since: '5.0.0', handler: (ctx) => writeHelp(ctx, HELP) },
    ],
  },
];
