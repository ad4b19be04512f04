// src/commands/zset-combine.ts: ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD
// (Redis 7.0 src/t_zset.c zunionInterDiffGenericCommand). Inputs are sorted sets or sets (a set's
// members score 1); the algebra is src/types/zset-algebra.ts's.
// Invariants:
// - Checks in Redis's order: numkeys, then every input's type (WRONGTYPE before an option's syntax
//   error), then the options; nothing is staged before all pass.
// - A *STORE destination is replaced whatever its type (its TTL goes); an empty result deletes it
//   and answers 0. The result is encoded as Redis encodes a zset built whole: listpack when it
//   has at most zset-max-listpack-entries members of at most zset-max-listpack-value bytes.
// - Results are bounded by ZSET_RESULT_MEMBERS_MAX (zset-reply.ts).
import { isWord, parseInt64 } from './arguments.js';
import { CommandError, ERRORS } from '../dispatch/errors.js';
import { EVENT, notify } from '../dispatch/notify.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { KEY_TYPE, type KeyRecord } from '../keyspace/keyspace.js';
import { REPLY } from '../../protocol/index.js';
import { scoreArgument } from '../types/score-text.js';
import { builtEncoding, zsetFrom, type ScoredMember } from '../types/zset.js';
import { differenceOf, intersectionCount, intersectionOf, unionOf, type Aggregate, type AlgebraInput } from '../types/zset-algebra.js';
import { KEY_ERRORS, defineSpec, encodingLimits, readKey } from './key-access.js';
import { numkeysKeyPositions } from './zsets.js';
import { ZSET_ERRORS, ZSET_RESULT_MEMBERS_MAX, bounded, replyMembers } from './zset-reply.js';

type Operation = 'union' | 'inter' | 'diff';

interface CombineRequest {
  inputs: AlgebraInput[];
  how: Aggregate;
  withScores: boolean;
  cardinalityLimit: number; // ZINTERCARD's LIMIT, 0: none (a limit past 2^53 is none too)
}

/** A zset or a set for the algebra; WRONGTYPE for any other type. */
function readInput(ctx: CommandContext, key: Buffer): KeyRecord | undefined {
  const record = readKey(ctx, key);
  if (record !== undefined && record.type !== KEY_TYPE.zset && record.type !== KEY_TYPE.set) throw new CommandError(KEY_ERRORS.wrongType);
  return record;
}

function parseCombine(ctx: CommandContext, args: Buffer[], numkeysIndex: number, operation: Operation, store: boolean, cardinalityOnly: boolean): CombineRequest {
  const name = (args[0] as Buffer).toString('latin1').toLowerCase();
  const setCount = parseInt64(args[numkeysIndex] as Buffer);
  if (setCount < 1n) throw new CommandError(`ERR at least 1 input key is needed for '${name}' command`);
  if (setCount > BigInt(args.length - (numkeysIndex + 1))) throw new CommandError(ERRORS.syntax);
  const count = Number(setCount);
  const inputs: AlgebraInput[] = [];
  for (let index = 0; index < count; index++) inputs.push({ record: readInput(ctx, args[numkeysIndex + 1 + index] as Buffer), weight: 1 });
  const request: CombineRequest = { inputs, how: 'sum', withScores: false, cardinalityLimit: 0 };
  const algebra = operation !== 'diff' && !cardinalityOnly;
  for (let index = numkeysIndex + 1 + count; index < args.length;) {
    const remaining = args.length - index;
    const arg = args[index];
    if (algebra && remaining >= count + 1 && isWord(arg, 'weights')) {
      index++;
      for (const input of inputs) {
        const weight = scoreArgument(args[index++] as Buffer);
        if (weight === undefined) throw new CommandError(ZSET_ERRORS.weight);
        input.weight = weight;
      }
    } else if (algebra && remaining >= 2 && isWord(arg, 'aggregate')) {
      const how = args[index + 1];
      if (isWord(how, 'sum')) request.how = 'sum';
      else if (isWord(how, 'min')) request.how = 'min';
      else if (isWord(how, 'max')) request.how = 'max';
      else throw new CommandError(ERRORS.syntax);
      index += 2;
    } else if (!store && !cardinalityOnly && isWord(arg, 'withscores')) {
      request.withScores = true;
      index++;
    } else if (cardinalityOnly && remaining >= 2 && isWord(arg, 'limit')) {
      const limit = parseInt64(args[index + 1] as Buffer, ZSET_ERRORS.limitNegative);
      if (limit < 0n) throw new CommandError(ZSET_ERRORS.limitNegative);
      request.cardinalityLimit = limit > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(limit);
      index += 2;
    } else {
      throw new CommandError(ERRORS.syntax);
    }
  }
  return request;
}

function combined(ctx: CommandContext, operation: Operation, request: CombineRequest): ScoredMember[] {
  const { keyspace } = ctx.server;
  return bounded(() => {
    if (operation === 'union') return unionOf(keyspace, request.inputs, request.how, ZSET_RESULT_MEMBERS_MAX);
    if (operation === 'inter') return intersectionOf(keyspace, request.inputs, request.how, ZSET_RESULT_MEMBERS_MAX);
    return differenceOf(keyspace, request.inputs, ZSET_RESULT_MEMBERS_MAX);
  });
}

/** ZUNION, ZINTER, ZDIFF numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]. */
function combine(ctx: CommandContext, args: Buffer[], operation: Operation): void {
  const request = parseCombine(ctx, args, 1, operation, false, false);
  replyMembers(ctx, combined(ctx, operation, request), request.withScores);
}

/** ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE destination numkeys key [key ...] [...]. */
function combineStore(ctx: CommandContext, args: Buffer[], operation: Operation): void {
  const request = parseCombine(ctx, args, 2, operation, true, false);
  const members = combined(ctx, operation, request);
  const { keyspace } = ctx.server;
  const target = args[1] as Buffer;
  if (members.length === 0) {
    if (keyspace.delete(ctx.client.db, target)) notify(ctx, EVENT.generic, 'del', target);
    return ctx.out.raw(REPLY.zero);
  }
  const longest = members.reduce((most, { member }) => Math.max(most, member.length), 0);
  keyspace.set(ctx.client.db, target, zsetFrom(keyspace, members, builtEncoding(members.length, longest, encodingLimits(ctx))));
  notify(ctx, EVENT.zset, `z${operation}store`, target);
  ctx.out.integer(members.length);
}

/** ZINTERCARD numkeys key [key ...] [LIMIT limit]. */
function zintercard(ctx: CommandContext, args: Buffer[]): void {
  const request = parseCombine(ctx, args, 1, 'inter', false, true);
  ctx.out.integer(intersectionCount(ctx.server.keyspace, request.inputs, request.cardinalityLimit));
}

const spec = defineSpec.bind(undefined, 'sorted_set');
const NUMKEYS_AT_1 = numkeysKeyPositions(1);
const STORE_KEYS = numkeysKeyPositions(2, [1]);

export const zsetCombineCommands: CommandSpec[] = [
  spec({ name: 'zunion', arity: -3, flags: ['readonly'], keys: [0, 0, 0], keyPositions: NUMKEYS_AT_1, summary: 'Add multiple sorted sets', since: '6.2.0', handler: (ctx, args) => combine(ctx, args, 'union') }),
  spec({ name: 'zinter', arity: -3, flags: ['readonly'], keys: [0, 0, 0], keyPositions: NUMKEYS_AT_1, summary: 'Intersect multiple sorted sets', since: '6.2.0', handler: (ctx, args) => combine(ctx, args, 'inter') }),
  spec({ name: 'zdiff', arity: -3, flags: ['readonly'], keys: [0, 0, 0], keyPositions: NUMKEYS_AT_1, summary: 'Subtract multiple sorted sets', since: '6.2.0', handler: (ctx, args) => combine(ctx, args, 'diff') }),
  spec({ name: 'zunionstore', arity: -4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyPositions: STORE_KEYS, summary: 'Add multiple sorted sets and store the resulting sorted set in a new key', since: '2.0.0', handler: (ctx, args) => combineStore(ctx, args, 'union') }),
  spec({ name: 'zinterstore', arity: -4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyPositions: STORE_KEYS, summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key', since: '2.0.0', handler: (ctx, args) => combineStore(ctx, args, 'inter') }),
  spec({ name: 'zdiffstore', arity: -4, flags: ['write', 'denyoom'], keys: [1, 1, 1], keyPositions: STORE_KEYS, summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key', since: '6.2.0', handler: (ctx, args) => combineStore(ctx, args, 'diff') }),
  spec({ name: 'zintercard', arity: -3, flags: ['readonly'], keys: [0, 0, 0], keyPositions: NUMKEYS_AT_1, summary: 'Intersect multiple sorted sets and return the cardinality of the result', since: '7.0.0', handler: zintercard }),
];

