// test/server-config.test.ts: the configuration from the outside. A config file named after the
// flags (as the Docker image's CMD names it after ENTRYPOINT's flags), the flags overriding it;
// the Redis settings clients and test suites set at start (CONFIG SET accepts them with Redis's
// checks and words, CONFIG GET echoes them as Redis 7.0 prints them, globs list them and their
// ziplist aliases, INFO shows maxmemory and hz); CONFIG REWRITE writing them back so a restart
// reads them. test/differential.test.ts compares the same texts with a real redis-server.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyItems, type Reply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'tskv-config-')), 'tskv.conf');
  writeFileSync(file, text);
  return file;
}

function text(reply: Reply): string {
  if (reply.type === 'bulk' || reply.type === 'verbatim') return reply.value.toString();
  throw new Error(`not a string: ${formatReply(reply)}`);
}

/** CONFIG GET's reply as name -> value. */
function pairs(reply: Reply): Map<string, string> {
  const items = replyItems(reply).map((item) => text(item));
  const map = new Map<string, string>();
  for (let index = 0; index + 1 < items.length; index += 2) map.set(items[index] as string, items[index + 1] as string);
  return map;
}

describe('a config file among the flags', () => {
  it('is read when it follows the flags, and the flags override it', async () => {
    const file = configFile('port 1\nmaxmemory 2mb\nhz 20\nmaxmemory-policy allkeys-lru\n');
    const server = await startServer({ args: ['--hz', '50', file] }); // runs `--port P --dir D --hz 50 <file>`
    try {
      const client = await RawClient.connect(server.port);
      const config = pairs(await client.send(['CONFIG', 'GET', 'port', 'maxmemory', 'hz', 'maxmemory-policy']));
      expect(Object.fromEntries(config)).toEqual({ port: String(server.port), maxmemory: '2097152', hz: '50', 'maxmemory-policy': 'allkeys-lru' });
      expect(text(await client.send(['INFO', 'server']))).toContain(`\r\nconfig_file:${file}\r\n`);
      client.close();
    } finally {
      await server.stop();
    }
  });
});

describe('Redis settings', () => {
  let server: StartedServer;
  let client: RawClient;
  const send = async (...args: string[]) => formatReply(await client.send(args));

  beforeAll(async () => {
    server = await startServer();
    client = await RawClient.connect(server.port);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it('start at Redis 7.0\'s defaults', async () => {
    const config = pairs(await client.send(['CONFIG', 'GET', 'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'hash-max-listpack-entries',
      'hash-max-listpack-value', 'set-max-intset-entries', 'set-max-listpack-entries', 'set-max-listpack-value', 'list-max-listpack-size',
      'list-compress-depth', 'zset-max-listpack-entries', 'zset-max-listpack-value', 'save', 'lazyfree-lazy-eviction', 'lazyfree-lazy-expire',
      'lazyfree-lazy-server-del', 'lazyfree-lazy-user-del', 'lazyfree-lazy-user-flush', 'notify-keyspace-events', 'activerehashing', 'hz', 'proto-max-bulk-len']));
    expect(Object.fromEntries(config)).toEqual({
      maxmemory: '0', 'maxmemory-policy': 'noeviction', 'maxmemory-samples': '5', 'hash-max-listpack-entries': '512', 'hash-max-listpack-value': '64',
      'set-max-intset-entries': '512', 'set-max-listpack-entries': '128', 'set-max-listpack-value': '64', 'list-max-listpack-size': '-2',
      'list-compress-depth': '0', 'zset-max-listpack-entries': '128', 'zset-max-listpack-value': '64', save: '', 'lazyfree-lazy-eviction': 'no',
      'lazyfree-lazy-expire': 'no', 'lazyfree-lazy-server-del': 'no', 'lazyfree-lazy-user-del': 'no', 'lazyfree-lazy-user-flush': 'no',
      'notify-keyspace-events': '', activerehashing: 'yes', hz: '10', 'proto-max-bulk-len': '536870912',
    });
  });

  it.each([
    ['maxmemory', '100mb', 'maxmemory', '104857600'],
    ['maxmemory', '1GB', 'maxmemory', '1073741824'],
    ['maxmemory', '5k', 'maxmemory', '5000'],
    ['maxmemory-policy', 'ALLKEYS-LRU', 'maxmemory-policy', 'allkeys-lru'],
    ['maxmemory-samples', '10', 'maxmemory-samples', '10'],
    ['hash-max-listpack-entries', '256', 'hash-max-ziplist-entries', '256'],
    ['hash-max-ziplist-entries', '100', 'hash-max-listpack-entries', '100'],
    ['hash-max-ziplist-value', '1kb', 'hash-max-listpack-value', '1024'],
    ['set-max-intset-entries', '1000', 'set-max-intset-entries', '1000'],
    ['set-max-listpack-entries', '64', 'set-max-listpack-entries', '64'],
    ['set-max-listpack-value', '32', 'set-max-listpack-value', '32'],
    ['list-max-ziplist-size', '-3', 'list-max-listpack-size', '-3'],
    ['list-compress-depth', '2', 'list-compress-depth', '2'],
    ['zset-max-ziplist-entries', '64', 'zset-max-listpack-entries', '64'],
    ['zset-max-listpack-value', '2kb', 'zset-max-ziplist-value', '2048'],
    ['save', '900 1 300 10', 'save', '900 1 300 10'],
    ['save', '', 'save', ''],
    ['lazyfree-lazy-eviction', 'YES', 'lazyfree-lazy-eviction', 'yes'],
    ['lazyfree-lazy-expire', 'yes', 'lazyfree-lazy-expire', 'yes'],
    ['lazyfree-lazy-server-del', 'yes', 'lazyfree-lazy-server-del', 'yes'],
    ['lazyfree-lazy-user-del', 'yes', 'lazyfree-lazy-user-del', 'yes'],
    ['lazyfree-lazy-user-flush', 'yes', 'lazyfree-lazy-user-flush', 'yes'],
    ['notify-keyspace-events', 'KEA', 'notify-keyspace-events', 'AKE'],
    ['notify-keyspace-events', 'Exm$g', 'notify-keyspace-events', 'g$xEm'],
    ['notify-keyspace-events', '', 'notify-keyspace-events', ''],
    ['activerehashing', 'no', 'activerehashing', 'no'],
    ['hz', '0', 'hz', '1'],
    ['hz', '1000', 'hz', '500'],
    ['hz', '10', 'hz', '10'],
    ['proto-max-bulk-len', '64mb', 'proto-max-bulk-len', '67108864'],
  ])('CONFIG SET %s %j, then CONFIG GET %s echoes %j', async (name, value, getName, echo) => {
    expect(await send('CONFIG', 'SET', name, value)).toBe('+OK');
    expect(await send('CONFIG', 'GET', getName)).toBe(JSON.stringify([getName, echo]).replace(/,/g, ', '));
  });

  it('show maxmemory in INFO memory and hz in INFO server', async () => {
    expect(await send('CONFIG', 'SET', 'maxmemory', '1gb', 'maxmemory-policy', 'volatile-ttl', 'hz', '25')).toBe('+OK');
    const memory = text(await client.send(['INFO', 'memory']));
    expect(memory).toContain('\r\nmaxmemory:1073741824\r\nmaxmemory_human:1.00G\r\nmaxmemory_policy:volatile-ttl\r\n');
    expect(text(await client.send(['INFO', 'server']))).toContain('\r\nhz:25\r\nconfigured_hz:25\r\n');
    expect(await send('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'hz', '10')).toBe('+OK');
  });

  it('are listed by glob patterns, the ziplist aliases too, and an exact name echoes as given', async () => {
    const entries = [...pairs(await client.send(['CONFIG', 'GET', '*-max-*-entries'])).keys()].sort();
    expect(entries).toEqual(['hash-max-listpack-entries', 'hash-max-ziplist-entries', 'set-max-intset-entries', 'set-max-listpack-entries',
      'zset-max-listpack-entries', 'zset-max-ziplist-entries']);
    expect([...pairs(await client.send(['CONFIG', 'GET', 'lazyfree-*'])).keys()]).toHaveLength(5);
    const all = pairs(await client.send(['CONFIG', 'GET', '*']));
    for (const name of ['maxmemory', 'maxmemory-policy', 'save', 'notify-keyspace-events', 'hz', 'activerehashing', 'list-max-ziplist-size']) expect(all.has(name), name).toBe(true);
    expect(await send('CONFIG', 'GET', 'MAXMEMORY')).toBe('["MAXMEMORY", "0"]');
  });

  it.each([
    [['appendfsync', 'sometimes'], "appendfsync') - argument(s) must be one of the following: everysec, always, no"],
    [['timeout', 'abc'], "timeout') - argument couldn't be parsed into an integer"],
    [['timeout', '-1'], "timeout') - argument must be between 0 and 2147483647 inclusive"],
    [['TIMEOUT', 'abc'], "timeout') - argument couldn't be parsed into an integer"],
    [['maxmemory', '1.5gb'], "maxmemory') - argument must be a memory value"],
    [['maxmemory', '-1'], "maxmemory') - argument must be a memory value"],
    [['maxmemory-policy', 'lru'], "maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"],
    [['maxmemory-samples', '0'], "maxmemory-samples') - argument must be between 1 and 2147483647 inclusive"],
    [['hash-max-ziplist-entries', 'x'], "hash-max-ziplist-entries') - argument couldn't be parsed into an integer"],
    [['hash-max-listpack-entries', '1kb'], "hash-max-listpack-entries') - argument couldn't be parsed into an integer"],
    [['list-compress-depth', '-1'], "list-compress-depth') - argument must be between 0 and 2147483647 inclusive"],
    [['save', '3600'], "save') - Invalid save parameters"],
    [['save', '0 1'], "save') - Invalid save parameters"],
    [['save', '3600 1  300 10'], "save') - Invalid save parameters"],
    [['lazyfree-lazy-expire', 'maybe'], "lazyfree-lazy-expire') - argument must be 'yes' or 'no'"],
    [['activerehashing', '1'], "activerehashing') - argument must be 'yes' or 'no'"],
    [['notify-keyspace-events', 'KEQ'], "notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."],
    [['proto-max-bulk-len', '1000'], "proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"],
    [['proto-max-bulk-len', '1gb'], "proto-max-bulk-len') - argument must be between 1048576 and 536870912 inclusive"], // tskv's bound
    [['DATABASES', '3'], "DATABASES') - can't set immutable config"],
    [['timeout', '1', 'timeout', '2'], "timeout') - duplicate parameter"],
  ])('CONFIG SET %j refuses with Redis\'s words', async (args, error) => {
    expect(await send('CONFIG', 'SET', ...args)).toBe(`-ERR CONFIG SET failed (possibly related to argument '${error}`);
  });

  it('changes nothing unless every pair is valid, and answers a pair short with a syntax error', async () => {
    expect(await send('CONFIG', 'SET', 'hz', '30', 'save', 'bad')).toBe("-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters");
    expect(await send('CONFIG', 'GET', 'hz')).toBe('["hz", "10"]');
    expect(await send('CONFIG', 'SET', 'hz', '30', 'save')).toBe('-ERR syntax error');
    expect(await send('CONFIG', 'SET', 'NOSUCH', '1')).toBe("-ERR Unknown option or number of arguments for CONFIG SET - 'NOSUCH'");
  });
});

describe('CONFIG REWRITE', () => {
  it('writes the Redis settings back, under their Redis 7 names, and a restart reads them', async () => {
    const file = configFile('# my settings\nhash-max-ziplist-entries 64\nmaxmemory 0\n');
    const server = await startServer({ args: [file] });
    try {
      let client = await RawClient.connect(server.port);
      const set = ['maxmemory', '100mb', 'hash-max-listpack-entries', '300', 'save', '900 1', 'notify-keyspace-events', 'Ex',
        'lazyfree-lazy-user-del', 'yes', 'list-max-listpack-size', '-3', 'zset-max-listpack-value', '1kb', 'maxmemory-policy', 'allkeys-lfu'];
      expect(formatReply(await client.send(['CONFIG', 'SET', ...set]))).toBe('+OK');
      expect(formatReply(await client.send(['CONFIG', 'REWRITE']))).toBe('+OK');
      client.close();
      const written = readFileSync(file, 'utf8');
      expect(written).toMatch(/^# my settings\nhash-max-listpack-entries 300\nmaxmemory 100mb\n# Generated by CONFIG REWRITE\n/);
      for (const line of ['save 900 1', 'notify-keyspace-events xE', 'lazyfree-lazy-user-del yes', 'list-max-listpack-size -3', 'zset-max-listpack-value 1kb', 'maxmemory-policy allkeys-lfu']) {
        expect(written.split('\n'), written).toContain(line);
      }
      await server.restart();
      client = await RawClient.connect(server.port);
      const config = pairs(await client.send(['CONFIG', 'GET', 'maxmemory', 'hash-max-listpack-entries', 'save', 'notify-keyspace-events',
        'lazyfree-lazy-user-del', 'list-max-listpack-size', 'zset-max-listpack-value', 'maxmemory-policy']));
      expect(Object.fromEntries(config)).toEqual({
        maxmemory: '104857600', 'hash-max-listpack-entries': '300', save: '900 1', 'notify-keyspace-events': 'xE', 'lazyfree-lazy-user-del': 'yes',
        'list-max-listpack-size': '-3', 'zset-max-listpack-value': '1024', 'maxmemory-policy': 'allkeys-lfu',
      });
      client.close();
    } finally {
      await server.stop();
    }
  });
});
