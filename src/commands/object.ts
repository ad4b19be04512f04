// src/commands/object.ts: OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT | HELP (Redis 7.0
// src/object.c objectCommand). tskv keeps no in-memory objects, so the answers are the ones Redis
// would give for the same value under its defaults (maxmemory-policy noeviction):
// - ENCODING: the type module's answer (src/types/), e.g. int / embstr / raw for strings.
// - REFCOUNT 2147483647 for the shared integers 0..9999, else 1; IDLETIME 0 (no access clock);
//   FREQ is refused because no LFU policy is selected, with Redis's text.
import { string2ll } from './arguments.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { CommandError } from '../dispatch/errors.js';
import { typeModule } from '../types/index.js';
import { defineSpec, readKey } from './key-access.js';

export const SHARED_INTEGERS_MAX = 10_000;
export const SHARED_REFCOUNT = 2_147_483_647;

const HELP_LINES = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

const FREQ_REFUSED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';

export function objectEncoding(record: KeyRecord): string {
  return typeModule(record.type).encoding(record);
}

function withRecord(reply: (ctx: CommandContext, record: KeyRecord) => void) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const record = readKey(ctx, args[2] as Buffer);
    if (record === undefined) return ctx.out.nullBulk();
    reply(ctx, record);
  };
}

function refcount(record: KeyRecord): number {
  if (record.type !== KEY_TYPE.string) return 1;
  const value = string2ll(record.payload);
  return value !== undefined && value >= 0n && value < BigInt(SHARED_INTEGERS_MAX) ? SHARED_REFCOUNT : 1;
}

const spec = defineSpec.bind(undefined, 'generic');
const KEY_AT_2 = [2, 2, 1] as const;

export const objectSubcommands: CommandSpec[] = [
  spec({
    name: 'encoding', arity: 3, flags: ['readonly'], keys: KEY_AT_2, summary: 'Returns the internal encoding of a Redis object.', since: '2.2.3',
    handler: withRecord((ctx, record) => ctx.out.bulk(objectEncoding(record))),
  }),
  spec({
    name: 'freq', arity: 3, flags: ['readonly'], keys: KEY_AT_2, summary: 'Returns the logarithmic access frequency counter of a Redis object.', since: '4.0.0',
    handler: withRecord(() => {
      throw new CommandError(FREQ_REFUSED);
    }),
  }),
  spec({
    name: 'idletime', arity: 3, flags: ['readonly'], keys: KEY_AT_2, summary: 'Returns the time since the last access to a Redis object.', since: '2.2.3',
    handler: withRecord((ctx) => ctx.out.integer(0)),
  }),
  spec({
    name: 'refcount', arity: 3, flags: ['readonly'], keys: KEY_AT_2, summary: 'Returns the reference count of a value of a key.', since: '2.2.3',
    handler: withRecord((ctx, record) => ctx.out.integer(refcount(record))),
  }),
  spec({
    name: 'help', arity: 2, flags: ['loading', 'stale'], keys: [0, 0, 0], summary: 'Returns helpful text about the different subcommands.', since: '6.2.0',
    handler: (ctx) => {
      ctx.out.arrayHeader(HELP_LINES.length);
      for (const line of HELP_LINES) ctx.out.simple(line);
    },
  }),
];
