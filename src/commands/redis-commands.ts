// src/commands/redis-commands.ts: Redis 7.0.15's own command table as data (redis-commands.json,
// made from redis/redis src/commands/*.json by scripts/generate-redis-commands.ts; bundled by
// esbuild): the COMMAND DOCS fields and the key specs of every Redis command, served or not, so a
// command family gets Redis's docs by being registered under Redis's name.
// Invariants:
// - The data is read-only and never edited by hand: regenerate it with the script.
// - Names are full lower-case names: 'set', 'client|kill'.
import data from './redis-commands.json' with { type: 'json' };

/** One argument, its fields as src/server.c addReplyCommandArgList sends them (absent = not sent). */
export interface RedisArgumentDoc {
  readonly name: string;
  readonly type: string;
  readonly key_spec_index?: number;
  readonly token?: string;
  readonly summary?: string;
  readonly since?: string;
  readonly deprecated_since?: string;
  readonly flags?: readonly string[];
  readonly arguments?: readonly RedisArgumentDoc[];
}

/** A command's fields as addReplyCommandDocs sends them, subcommands aside (absent = not sent). */
export interface RedisCommandDoc {
  readonly summary?: string;
  readonly since?: string;
  readonly group: string;
  readonly complexity?: string;
  readonly doc_flags?: readonly string[];
  readonly deprecated_since?: string;
  readonly replaced_by?: string;
  readonly history?: ReadonlyArray<readonly [string, string]>;
  readonly arguments?: readonly RedisArgumentDoc[];
}

/** A key spec as Redis's JSON states it; flags upper case ('RW', 'ACCESS', 'VARIABLE_FLAGS'). */
export interface RedisKeySpec {
  readonly notes?: string;
  readonly flags: readonly string[];
  readonly begin_search: {
    readonly index?: { readonly pos: number };
    readonly keyword?: { readonly keyword: string; readonly startfrom: number };
    readonly unknown?: null;
  };
  readonly find_keys: {
    readonly range?: { readonly lastkey: number; readonly step: number; readonly limit: number };
    readonly keynum?: { readonly keynumidx: number; readonly firstkey: number; readonly step: number };
    readonly unknown?: null;
  };
}

interface RedisCommandsFile {
  readonly source: string;
  readonly docs: Readonly<Record<string, RedisCommandDoc>>;
  readonly keySpecs: Readonly<Record<string, readonly RedisKeySpec[]>>;
}

const file = data as unknown as RedisCommandsFile; // shaped by the generator; the differential test checks the replies

export function redisCommandDoc(fullName: string): RedisCommandDoc | undefined {
  return Object.hasOwn(file.docs, fullName) ? file.docs[fullName] : undefined;
}

export function redisKeySpecs(fullName: string): readonly RedisKeySpec[] {
  return Object.hasOwn(file.keySpecs, fullName) ? file.keySpecs[fullName] ?? [] : [];
}

/** Redis's names for key flags, in the order it sends them (src/server.c addReplyFlagsForKeyArgs). */
const KEY_FLAG_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['RO', 'RO'], ['RW', 'RW'], ['OW', 'OW'], ['RM', 'RM'], ['ACCESS', 'access'], ['UPDATE', 'update'], ['INSERT', 'insert'],
  ['DELETE', 'delete'], ['NOT_KEY', 'not_key'], ['INCOMPLETE', 'incomplete'], ['VARIABLE_FLAGS', 'variable_flags'],
];

export function keyFlagNames(flags: readonly string[]): string[] {
  return KEY_FLAG_NAMES.filter(([flag]) => flags.includes(flag)).map(([, name]) => name);
}

/**
 * The key flags Redis reports for each key position of a request (args; word 0
 * is the command, or the container then the subcommand), found as src/db.c getKeysUsingKeySpecs finds keys. Only index
 * specs are read, with range or keynum key finders (every served command's specs are of that kind); positions a spec
 * does not place are left out and the caller falls back.
 */
export function keyFlagsByPosition(fullName: string, args: readonly Buffer[]): Map<number, readonly string[]> {
  const argumentCount = args.length;
  const found = new Map<number, readonly string[]>();
  for (const spec of redisKeySpecs(fullName)) {
    const first = spec.begin_search.index?.pos;
    const keynum = spec.find_keys.keynum;
    if (!spec.flags.includes('NOT_KEY') && first !== undefined && keynum !== undefined && keynum.step > 0) {
      const numkeys = Number(args[first + keynum.keynumidx]?.toString('latin1'));
      if (!Number.isSafeInteger(numkeys) || numkeys < 0) continue;
      const firstKey = first + keynum.firstkey;
      for (let position = firstKey; position < firstKey + numkeys && position < argumentCount; position += keynum.step) found.set(position, spec.flags);
      continue;
    }
    const range = spec.find_keys.range;
    if (spec.flags.includes('NOT_KEY') || first === undefined || range === undefined || range.step <= 0) continue;
    let last = first + range.lastkey;
    if (range.lastkey < 0) last = range.limit === 0 ? argumentCount + range.lastkey : first + Math.trunc((argumentCount - first) / range.limit) + range.lastkey;
    for (let position = first; position <= last && position < argumentCount; position += range.step) found.set(position, spec.flags);
  }
  return found;
}
