import { describe, expect, it } from 'vitest';
import { RespWriter } from '../protocol/index.js';
import { CommandError } from './command-error.js';
import type { CommandContext, CommandSpec } from './command-table.js';
import { attachSlowlog, redactArgs, Slowlog, slowlogCommands, slowlogOf, truncateArgs, SLOWLOG_DEFAULTS } from './slowlog.js';

const client = { address: '127.0.0.1:50000', name: 'worker-1' };
const words = (...items: string[]) => items.map((item) => Buffer.from(item));

describe('Slowlog', () => {
  it('logs commands at or over slowlog-log-slower-than, with Redis defaults', () => {
    const slowlog = new Slowlog();
    expect(slowlog.settings).toEqual({ slowlogLogSlowerThan: 10_000, slowlogMaxLen: 128 });
    expect(slowlog.maybeRecord(words('get', 'a'), 9_999, client)).toBe(false);
    expect(slowlog.maybeRecord(words('get', 'b'), 10_000, client, 1_700_000_000_500)).toBe(true);
    expect(slowlog.length()).toBe(1);
    const [entry] = slowlog.newest(10);
    expect(entry).toEqual({ id: 0, timestampS: 1_700_000_000, durationUs: 10_000, args: words('get', 'b'), clientAddress: '127.0.0.1:50000', clientName: 'worker-1' });
  });

  it('logs every command at 0 and none when negative, reading settings live', () => {
    const settings = { slowlogLogSlowerThan: 0, slowlogMaxLen: 128 };
    const slowlog = new Slowlog(settings);
    expect(slowlog.maybeRecord(words('ping'), 0, client)).toBe(true);
    settings.slowlogLogSlowerThan = -1;
    expect(slowlog.maybeRecord(words('ping'), 1e9, client)).toBe(false);
    settings.slowlogLogSlowerThan = 0;
    settings.slowlogMaxLen = 0;
    expect(slowlog.maybeRecord(words('ping'), 5, client)).toBe(false);
  });

  it('keeps the newest slowlog-max-len entries, newest first, ids never reused', () => {
    const slowlog = new Slowlog({ slowlogLogSlowerThan: 0, slowlogMaxLen: 3 });
    for (let index = 0; index < 5; index++) slowlog.maybeRecord(words('set', `k${index}`), index, client);
    expect(slowlog.length()).toBe(3);
    expect(slowlog.newest(-1).map((entry) => entry.id)).toEqual([4, 3, 2]);
    expect(slowlog.newest(2).map((entry) => entry.args[1]?.toString())).toEqual(['k4', 'k3']);
    expect(slowlog.newest(0)).toEqual([]);
    slowlog.reset();
    expect(slowlog.length()).toBe(0);
    slowlog.maybeRecord(words('get', 'x'), 1, client);
    expect(slowlog.newest(1)[0]?.id).toBe(5);
  });

  it('copies arguments, so a reused request buffer does not change the log', () => {
    const slowlog = new Slowlog({ slowlogLogSlowerThan: 0, slowlogMaxLen: 10 });
    const args = words('set', 'key', 'value');
    slowlog.maybeRecord(args, 1, client);
    (args[2] as Buffer).write('XXXXX');
    expect(slowlog.newest(1)[0]?.args[2]?.toString()).toBe('value');
  });
});

describe('truncateArgs', () => {
  it('keeps 31 arguments and says how many more there were, as Redis', () => {
    const args = words('mset', ...Array.from({ length: 39 }, (_, index) => `a${index}`));
    const kept = truncateArgs(args);
    expect(kept).toHaveLength(32);
    expect(kept[30]?.toString()).toBe('a29');
    expect(kept[31]?.toString()).toBe('... (9 more arguments)');
    expect(truncateArgs(words(...Array.from({ length: 32 }, () => 'x')))).toHaveLength(32);
  });

  it('cuts an argument at 128 bytes and says how many more bytes it had', () => {
    const [name, long] = truncateArgs([Buffer.from('set'), Buffer.alloc(1000, 'v')]);
    expect(name?.toString()).toBe('set');
    expect(long?.toString()).toBe(`${'v'.repeat(128)}... (872 more bytes)`);
    expect(truncateArgs([Buffer.alloc(128, 'w')])[0]?.length).toBe(128);
  });
});

describe('redactArgs', () => {
  const text = (args: readonly Buffer[]) => args.map((arg) => arg.toString());
  it('hides AUTH, HELLO AUTH and CONFIG SET requirepass secrets', () => {
    expect(text(redactArgs(words('AUTH', 'hunter2')))).toEqual(['AUTH', '(redacted)']);
    expect(text(redactArgs(words('auth', 'default', 'hunter2')))).toEqual(['auth', '(redacted)', '(redacted)']);
    expect(text(redactArgs(words('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'x')))).toEqual(['HELLO', '3', 'AUTH', '(redacted)', '(redacted)', 'SETNAME', 'x']);
    expect(text(redactArgs(words('CONFIG', 'SET', 'timeout', '5', 'requirepass', 'pw')))).toEqual(['CONFIG', 'SET', 'timeout', '5', 'requirepass', '(redacted)']);
    expect(text(redactArgs(words('SET', 'auth', 'x')))).toEqual(['SET', 'auth', 'x']);
  });
});

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
