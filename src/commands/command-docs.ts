// src/commands/command-docs.ts: one command's COMMAND DOCS reply, in Redis 7.0's shape (src/server.c
// addReplyCommandDocs, addReplyCommandArgList): a map (a flat array in RESP2) of summary, since,
// group, complexity, doc_flags, deprecated_since, replaced_by, history, arguments, subcommands,
// each sent only when the command has it, in that order.
// Invariants:
// - A command Redis has is described by Redis's own data (redis-commands.ts), whatever its
//   CommandSpec says; one Redis lacks (tskv's own) by its CommandSpec's summary, since and group.
// - Subcommands are the ones tskv serves: a container lists exactly what COMMAND LIST lists.
import type { CommandContext, CommandEntry } from '../dispatch/command-table.js';
import { redisCommandDoc, type RedisArgumentDoc, type RedisCommandDoc } from './redis-commands.js';

function writeArguments(ctx: CommandContext, args: readonly RedisArgumentDoc[]): void {
  const { out } = ctx;
  out.arrayHeader(args.length);
  for (const arg of args) {
    const fields = ['key_spec_index', 'token', 'summary', 'since', 'deprecated_since', 'flags', 'arguments'] as const;
    out.mapHeader(2 + fields.filter((field) => arg[field] !== undefined).length);
    out.bulk('name');
    out.bulk(arg.name);
    out.bulk('type');
    out.bulk(arg.type);
    if (arg.key_spec_index !== undefined) {
      out.bulk('key_spec_index');
      out.integer(arg.key_spec_index);
    }
    for (const field of ['token', 'summary', 'since', 'deprecated_since'] as const) {
      const value = arg[field];
      if (value === undefined) continue;
      out.bulk(field);
      out.bulk(value);
    }
    if (arg.flags !== undefined) {
      out.bulk('flags');
      out.setHeader(arg.flags.length);
      for (const flag of arg.flags) out.simple(flag);
    }
    if (arg.arguments !== undefined) {
      out.bulk('arguments');
      writeArguments(ctx, arg.arguments);
    }
  }
}

function writeRedisFields(ctx: CommandContext, doc: RedisCommandDoc): void {
  const { out } = ctx;
  for (const field of ['summary', 'since', 'group', 'complexity'] as const) {
    const value = doc[field];
    if (value === undefined) continue;
    out.bulk(field);
    out.bulk(value);
  }
  if (doc.doc_flags !== undefined) {
    out.bulk('doc_flags');
    out.setHeader(doc.doc_flags.length);
    for (const flag of doc.doc_flags) out.simple(flag);
  }
  for (const field of ['deprecated_since', 'replaced_by'] as const) {
    const value = doc[field];
    if (value === undefined) continue;
    out.bulk(field);
    out.bulk(value);
  }
  if (doc.history !== undefined) {
    out.bulk('history');
    out.setHeader(doc.history.length);
    for (const [since, changes] of doc.history) {
      out.arrayHeader(2);
      out.bulk(since);
      out.bulk(changes);
    }
  }
  if (doc.arguments !== undefined) {
    out.bulk('arguments');
    writeArguments(ctx, doc.arguments);
  }
}

function redisFieldCount(doc: RedisCommandDoc): number {
  const fields = ['summary', 'since', 'group', 'complexity', 'doc_flags', 'deprecated_since', 'replaced_by', 'history', 'arguments'] as const;
  return fields.filter((field) => doc[field] !== undefined).length;
}

export function writeCommandDocs(ctx: CommandContext, entry: CommandEntry): void {
  const { out } = ctx;
  const spec = entry.spec;
  const subs = [...(entry.subcommands?.values() ?? [])];
  const doc = redisCommandDoc(entry.fullName);
  out.mapHeader((doc === undefined ? 3 : redisFieldCount(doc)) + (subs.length > 0 ? 1 : 0));
  if (doc !== undefined) {
    writeRedisFields(ctx, doc);
  } else {
    out.bulk('summary');
    out.bulk(spec.summary);
    out.bulk('since');
    out.bulk(spec.since);
    out.bulk('group');
    out.bulk(spec.group);
  }
  if (subs.length === 0) return;
  out.bulk('subcommands');
  out.mapHeader(subs.length);
  for (const sub of subs) {
    out.bulk(sub.fullName);
    writeCommandDocs(ctx, sub);
  }
}
