// src/commands/slowlog.ts: SLOWLOG GET / LEN / RESET / HELP (Redis 7.0 src/slowlog.c) over the
// server's slow log (src/ops/slowlog.ts).
import { CommandError, unknownSubcommand } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { parseRedisInteger } from '../../protocol/index.js';
import { slowlogOf, SLOWLOG_GET_COUNT_DEFAULT } from '../ops/slowlog.js';

const SLOWLOG_HELP = [
  'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
  'HELP',
  '    Print this help.',
];

function sanitize(text: string): string {
  return text.slice(0, 128).replace(/[\r\n]/g, ' ');
}

const COUNT_ERROR = 'ERR count should be greater than or equal to -1';

function slowlogGet(ctx: CommandContext, args: Buffer[]): void {
  let count = SLOWLOG_GET_COUNT_DEFAULT;
  const countArg = args[2];
  if (args.length > 3) {
    const sub = sanitize((args[1] as Buffer).toString('latin1'));
    throw new CommandError(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try ${sanitize((args[0] as Buffer).toString('latin1')).toUpperCase()} HELP.`);
  }
  if (countArg !== undefined) {
    const parsed = parseRedisInteger(countArg, 0, countArg.length);
    if (parsed === null || parsed < -1) throw new CommandError(COUNT_ERROR);
    count = parsed;
  }
  const { out } = ctx;
  const entries = slowlogOf(ctx.server).newest(count);
  out.arrayHeader(entries.length);
  for (const entry of entries) {
    out.arrayHeader(6);
    out.integer(entry.id);
    out.integer(entry.timestampS);
    out.integer(entry.durationUs);
    out.arrayHeader(entry.args.length);
    for (const arg of entry.args) out.bulk(arg);
    out.bulk(entry.clientAddress);
    out.bulk(entry.clientName);
  }
}

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'server' } as const;

export const slowlogCommands: CommandSpec[] = [
  {
    ...base, name: 'slowlog', arity: -2, flags: [], since: '2.2.12', summary: 'A container for slow log commands.',
    handler: (_ctx, args) => {
      throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'slowlog'));
    },
    subcommands: [
      { ...base, name: 'get', arity: -2, flags: ['admin', 'loading', 'stale'], since: '2.2.12', summary: 'Returns the slow log\'s entries.', handler: slowlogGet },
      {
        ...base, name: 'len', arity: 2, flags: ['admin', 'loading', 'stale'], since: '2.2.12', summary: 'Returns the number of entries in the slow log.',
        handler: (ctx) => ctx.out.integer(slowlogOf(ctx.server).length()),
      },
      {
        ...base, name: 'reset', arity: 2, flags: ['admin', 'loading', 'stale'], since: '2.2.12', summary: 'Clears all entries from the slow log.',
        handler: (ctx) => {
          slowlogOf(ctx.server).reset();
          ctx.out.simple('OK');
        },
      },
      {
        ...base, name: 'help', arity: 2, flags: ['loading', 'stale'], since: '6.2.0', summary: 'Show helpful text about the different subcommands',
        handler: (ctx) => {
          ctx.out.arrayHeader(SLOWLOG_HELP.length);
          for (const line of SLOWLOG_HELP) ctx.out.simple(line);
        },
      },
    ],
  },
];
