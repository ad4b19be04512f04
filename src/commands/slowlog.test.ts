// src/commands/slowlog.test.ts: SLOWLOG's replies and texts over a slow log (src/ops/slowlog.ts).
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../../protocol/index.js';
import { CommandError } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { attachSlowlog, Slowlog, slowlogOf, SLOWLOG_DEFAULTS } from '../ops/slowlog.js';
import { slowlogCommands } from './slowlog.js';

const client = { address: '127.0.0.1:50000', name: 'worker-1' };
const words = (...items: string[]) => items.map((item) => Buffer.from(item));

function subcommand(name: string): CommandSpec {
  const spec = slowlogCommands[0]?.subcommands?.find((sub) => sub.name === name);
  if (spec === undefined) throw new Error(`no slowlog|${name}`);
  return spec;
}

function run(server: object, ...args: string[]): string {
  const out = new RespWriter(2);
  const ctx = { server, client: {}, out } as unknown as CommandContext;
  const name = args[1]?.toLowerCase() ?? '';
  try {
    subcommand(name).handler(ctx, words(...args));
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    out.error(error.message);
  }
  return out.take().toString();
}

describe('SLOWLOG', () => {
  it('replies GET entries as six-element arrays, newest first', () => {
    const server = {};
    const slowlog = new Slowlog({ slowlogLogSlowerThan: 0, slowlogMaxLen: 10 });
    attachSlowlog(server, slowlog);
    slowlog.maybeRecord(words('get', 'a'), 12, client, 1_000_000);
    slowlog.maybeRecord(words('set', 'b', 'c'), 34, { address: '10.0.0.1:1', name: '' }, 2_000_000);
    expect(run(server, 'SLOWLOG', 'GET', '1')).toBe('*1\r\n*6\r\n:1\r\n:2000\r\n:34\r\n*3\r\n$3\r\nset\r\n$1\r\nb\r\n$1\r\nc\r\n$10\r\n10.0.0.1:1\r\n$0\r\n\r\n');
    expect(run(server, 'SLOWLOG', 'GET')).toMatch(/^\*2\r\n\*6\r\n:1\r\n/);
    expect(run(server, 'SLOWLOG', 'GET', '-1')).toMatch(/^\*2\r\n/);
    expect(run(server, 'SLOWLOG', 'LEN')).toBe(':2\r\n');
    expect(run(server, 'SLOWLOG', 'RESET')).toBe('+OK\r\n');
    expect(run(server, 'SLOWLOG', 'LEN')).toBe(':0\r\n');
  });

  it('rejects a bad count with Redis\'s words', () => {
    const server = {};
    expect(run(server, 'SLOWLOG', 'GET', '-2')).toBe('-ERR count should be greater than or equal to -1\r\n');
    expect(run(server, 'SLOWLOG', 'GET', 'abc')).toBe('-ERR count should be greater than or equal to -1\r\n');
    expect(run(server, 'slowlog', 'get', '1', '2')).toBe("-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n");
  });

  it('prints Redis\'s help text', () => {
    const reply = run({}, 'SLOWLOG', 'HELP');
    expect(reply).toMatch(/^\*12\r\n\+SLOWLOG <subcommand> \[<arg> \[value\] \[opt\] \.\.\.\]\. Subcommands are:\r\n/);
    expect(reply).toContain('+    Return top <count> entries from the slowlog (default: 10, -1 mean all).\r\n');
    expect(reply.endsWith('+HELP\r\n+    Print this help.\r\n')).toBe(true);
  });

  it('gives each server one slow log, with defaults until one is attached', () => {
    const server = {};
    expect(slowlogOf(server)).toBe(slowlogOf(server));
    expect(slowlogOf(server).settings).toEqual(SLOWLOG_DEFAULTS);
  });

  it('uses the server\'s own slowlog field when it has one', () => {
    const own = new Slowlog({ slowlogLogSlowerThan: 0, slowlogMaxLen: 1 });
    expect(slowlogOf({ slowlog: own })).toBe(own);
  });

  it('declares the container and subcommands as Redis 7 does', () => {
    const container = slowlogCommands[0] as CommandSpec;
    expect([container.name, container.arity]).toEqual(['slowlog', -2]);
    expect(container.subcommands?.map((sub) => [sub.name, sub.arity])).toEqual([['get', -2], ['len', 2], ['reset', 2], ['help', 2]]);
  });
});
