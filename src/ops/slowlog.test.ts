import { describe, expect, it } from 'vitest';
import { redactArgs, Slowlog, truncateArgs } from './slowlog.js';

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
