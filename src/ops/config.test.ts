import { describe, expect, it } from 'vitest';
import { ConfigValueError, OPTIONS, defaultConfig, parseArguments, splitArguments } from './config.js';

const run = (argv: string[]) => {
  const parsed = parseArguments(argv);
  if (parsed.kind !== 'run') throw new Error(`not a run: ${parsed.kind}`);
  return parsed.config;
};

describe('parseArguments', () => {
  it('reads `--save` with no value as `--save ""`, as redis-server does', () => {
    expect(run(['--save', '--port', '1'])).toMatchObject({ save: [], port: 1 });
    expect(run(['--save']).save).toEqual([]);
    expect(run(['--save', '900', '1', '300', '10']).save).toEqual([{ seconds: 900, changes: 1 }, { seconds: 300, changes: 10 }]);
  });

  it('keeps tskv\'s own caps inside Redis\'s ranges (slowlog-max-len, proto-max-bulk-len)', () => {
    expect(() => run(['--slowlog-max-len', '3000000000'])).toThrow('argument must be between 0 and 2147483647 inclusive');
    expect(() => run(['--proto-max-bulk-len', '1gb'])).toThrow('argument must be between 1048576 and 536870912 inclusive');
    expect(() => run(['--proto-max-bulk-len', '1kb'])).toThrow('argument must be between 1048576 and 9223372036854775807 inclusive');
  });

  it('takes the Redis 6 ziplist names as flags for the listpack settings', () => {
    expect(run(['--hash-max-ziplist-entries', '64', '--list-max-ziplist-size', '-3'])).toMatchObject({ hashMaxListpackEntries: 64, listMaxListpackSize: -3 });
  });

  it('refuses a value with Redis\'s reason, naming the flag and the value', () => {
    let caught: unknown;
    try {
      run(['--maxmemory', '1.5gb']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigValueError);
    expect((caught as ConfigValueError).message).toBe('--maxmemory "1.5gb": argument must be a memory value');
    expect((caught as ConfigValueError).reason).toBe('argument must be a memory value');
  });

  it('leaves every default as CONFIG GET prints Redis 7.0\'s, where Redis has the setting', () => {
    const read = (name: string) => OPTIONS.find((option) => option.name === name)?.read(defaultConfig());
    expect([read('maxmemory'), read('hash-max-listpack-entries'), read('list-max-listpack-size'), read('save'), read('hz'), read('notify-keyspace-events')])
      .toEqual(['0', '512', '-2', '', '10', '']);
  });
});

describe('splitArguments', () => {
  it('keeps the words that are no flag\'s value apart, wherever they stand', () => {
    expect(splitArguments(['--dir', '/data', 'a.conf', '--port', '1'])).toEqual({ kind: 'run', flags: ['--dir=/data', '--port=1'], words: ['a.conf'] });
    expect(splitArguments(['--bind', '0.0.0.0', '::', 'conf/tskv.conf'])).toEqual({ kind: 'run', flags: ['--bind=0.0.0.0 ::'], words: ['conf/tskv.conf'] });
    expect(splitArguments(['x.conf', '--help'])).toEqual({ kind: 'help' });
  });
});
