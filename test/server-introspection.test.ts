// test/server-introspection.test.ts: what tools read about the server: INFO (sections, fields
// ioredis's ready check needs, the keyspace line), COMMAND and its subcommands (from the one
// command table), CONFIG GET/SET/RESETSTAT, CLIENT subcommands, DBSIZE / FLUSHDB / FLUSHALL,
// FUNCTION FLUSH, in RESP2 and RESP3 shapes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyItems, type Reply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let client: RawClient;

beforeAll(async () => {
  server = await startServer();
  client = await RawClient.connect(server.port);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

const send = async (...args: string[]) => formatReply(await client.send(args));
const raw = (...args: string[]): Promise<Reply> => client.send(args);

function text(reply: Reply): string {
  if (reply.type === 'bulk' || reply.type === 'verbatim') return reply.value.toString();
  throw new Error(`not a string: ${formatReply(reply)}`);
}

describe('INFO', () => {
  it('has the default sections and the fields clients read', async () => {
    const info = text(await raw('INFO'));
    for (const section of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Keyspace']) expect(info).toContain(`# ${section}\r\n`);
    expect(info).toMatch(/\r\nredis_version:7\.2\.0\r\n/);
    expect(info).toContain('\r\nloading:0\r\n');
    expect(info).toContain('\r\nconnected_clients:');
    expect(info).toContain('\r\naof_enabled:1\r\n');
    expect(info).toContain('\r\nrole:master\r\n');
    expect(info).not.toContain('# Commandstats');
  });

  it('shows db lines only for databases with keys, and one section when asked', async () => {
    await send('SELECT', '5');
    await send('SET', 'info:k', 'v');
    await send('SET', 'info:t', 'v', 'EX', '1000');
    const keyspace = text(await raw('INFO', 'keyspace'));
    expect(keyspace).toMatch(/^# Keyspace\r\n/);
    const avgTtlMs = Number(/db5:keys=2,expires=1,avg_ttl=(\d+)\r\n/.exec(keyspace)?.[1]);
    expect(avgTtlMs).toBeGreaterThan(990_000); // EX 1000: the mean time to live left, in ms
    expect(avgTtlMs).toBeLessThanOrEqual(1_000_000);
    expect(keyspace).not.toContain('# Server');
    await send('FLUSHDB');
    expect(text(await raw('INFO', 'keyspace'))).not.toContain('db5:');
    await send('SELECT', '0');
  });

  it('adds commandstats with INFO all or INFO commandstats', async () => {
    await send('PING');
    expect(text(await raw('INFO', 'commandstats'))).toMatch(/cmdstat_ping:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0/);
    expect(text(await raw('INFO', 'all'))).toContain('# Commandstats');
  });

  it('is a verbatim string in RESP3', async () => {
    const resp3 = await RawClient.connect(server.port);
    await resp3.send(['HELLO', '3']);
    expect((await resp3.send(['INFO', 'server'])).type).toBe('verbatim');
    resp3.close();
  });
});

describe('COMMAND', () => {
  it('COUNT matches the entries COMMAND lists', async () => {
    const countReply = await raw('COMMAND', 'COUNT');
    if (countReply.type !== 'integer') throw new Error(formatReply(countReply));
    const count = Number(countReply.value);
    expect(replyItems(await raw('COMMAND'))).toHaveLength(count);
    expect(count).toBeGreaterThan(30);
  });

  it('INFO describes arity, flags, keys and subcommands as dispatch enforces them', async () => {
    expect(await send('COMMAND', 'INFO', 'get')).toMatch(/^\[\["get", :2, \[\+readonly, \+fast\], :1, :1, :1, /);
    expect(await send('COMMAND', 'INFO', 'nosuch')).toBe('[*-1]');
    const client = replyItems(replyItems(await raw('COMMAND', 'INFO', 'client'))[0]!);
    expect(formatReply(client[0]!)).toBe('"client"');
    expect(formatReply(client[1]!)).toBe(':-2');
    expect(formatReply(client[9]!)).toContain('"client|setname", :3');
  });

  it('DOCS, LIST, GETKEYS and HELP answer', async () => {
    expect(await send('COMMAND', 'DOCS', 'get')).toMatch(/^\["get", \["summary", ".+", "since", "1\.0\.0", "group", "string"/);
    const list = replyItems(await raw('COMMAND', 'LIST')).map(formatReply);
    expect(list).toContain('"set"');
    expect(list).toContain('"client|kill"');
    expect(replyItems(await raw('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'cl*')).map(formatReply)).toContain('"client"');
    expect(await send('COMMAND', 'GETKEYS', 'SET', 'a', 'b')).toBe('["a"]');
    expect(await send('COMMAND', 'GETKEYS', 'PING', 'x')).toBe('-ERR The command has no key arguments');
    expect(replyItems(await raw('COMMAND', 'HELP')).length).toBeGreaterThan(4);
  });
});

describe('CONFIG', () => {
  it('GET answers what redis-benchmark and redis-cli ask, with globs', async () => {
    expect(await send('CONFIG', 'GET', 'save')).toBe('["save", ""]');
    expect(await send('CONFIG', 'GET', 'appendonly')).toBe('["appendonly", "yes"]');
    expect(await send('CONFIG', 'GET', 'databases')).toBe('["databases", "16"]');
    expect(await send('CONFIG', 'GET', 'appendfsync', 'maxmemory')).toBe('["appendfsync", "always", "maxmemory", "0"]');
    expect(await send('CONFIG', 'GET', 'port')).toBe(`["port", "${server.port}"]`);
    expect(await send('CONFIG', 'GET', 'nosuch*')).toBe('[]');
    const all = replyItems(await raw('CONFIG', 'GET', '*')).map(formatReply);
    for (const name of ['bind', 'dir', 'maxclients', 'timeout', 'requirepass', 'proto-max-bulk-len', 'tcp-keepalive', 'protected-mode']) expect(all).toContain(`"${name}"`);
  });

  it('GET is a map in RESP3', async () => {
    const resp3 = await RawClient.connect(server.port);
    await resp3.send(['HELLO', '3']);
    expect(formatReply(await resp3.send(['CONFIG', 'GET', 'save']))).toBe('%{"save": ""}');
    resp3.close();
  });

  it('SET changes run-time options, validates them, and RESETSTAT zeroes the counters', async () => {
    expect(await send('CONFIG', 'SET', 'maxclients', '500', 'timeout', '0')).toBe('+OK');
    expect(await send('CONFIG', 'GET', 'maxclients')).toBe('["maxclients", "500"]');
    expect(await send('CONFIG', 'SET', 'maxclients', 'many')).toBe("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer");
    expect(await send('CONFIG', 'SET', 'save', '')).toBe('+OK');
    expect(await send('CONFIG', 'SET', 'databases', '4')).toBe("-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config");
    expect(await send('CONFIG', 'RESETSTAT')).toBe('+OK');
    expect(text(await raw('INFO', 'stats'))).toMatch(/total_commands_processed:[0-2]\r\n/);
  });
});

describe('CONFIG SET appendfsync', () => {
  const fsyncs = async () => Number(/tskv_fsyncs:(\d+)/.exec(text(await raw('INFO', 'persistence')))?.[1]);
  it('switches when writes are acknowledged, syncing what came before', async () => {
    try {
      expect(await send('CONFIG', 'SET', 'appendfsync', 'no')).toBe('+OK');
      expect(await send('CONFIG', 'GET', 'appendfsync')).toBe('["appendfsync", "no"]');
      expect(text(await raw('INFO', 'persistence'))).toContain('tskv_appendfsync:no');
      const beforeNo = await fsyncs();
      for (let index = 0; index < 20; index++) expect(await send('SET', `policy:${index}`, 'v')).toBe('+OK');
      expect(await fsyncs()).toBe(beforeNo); // acknowledged once appended
      expect(await send('CONFIG', 'SET', 'appendfsync', 'always')).toBe('+OK');
      const afterSwitch = await fsyncs();
      expect(afterSwitch).toBe(beforeNo + 1); // the switch synced the writes made under 'no'
      expect(await send('SET', 'policy:always', 'v')).toBe('+OK');
      expect(await fsyncs()).toBeGreaterThan(afterSwitch); // each acknowledgement waits for an fsync again
      expect(await send('CONFIG', 'SET', 'appendfsync', 'sometimes')).toBe(
        "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no",
      );
    } finally {
      await send('CONFIG', 'SET', 'appendfsync', 'always');
    }
  });
});

describe('CLIENT', () => {
  it('SETNAME / GETNAME / ID / INFO / LIST / SETINFO / NO-EVICT / NO-TOUCH', async () => {
    expect(await send('CLIENT', 'GETNAME')).toBe('$-1');
    expect(await send('CLIENT', 'SETNAME', 'probe')).toBe('+OK');
    expect(await send('CLIENT', 'GETNAME')).toBe('"probe"');
    const id = await send('CLIENT', 'ID');
    expect(id).toMatch(/^:\d+$/);
    expect(await send('CLIENT', 'SETINFO', 'LIB-NAME', 'mylib')).toBe('+OK');
    expect(await send('CLIENT', 'SETINFO', 'LIB-VER', '1.2')).toBe('+OK');
    expect(await send('CLIENT', 'SETINFO', 'NOPE', 'x')).toBe("-ERR Unrecognized option 'NOPE'");
    const info = text(await raw('CLIENT', 'INFO'));
    expect(info).toMatch(new RegExp(`^id=${id.slice(1)} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${server.port} `));
    expect(info).toContain(' name=probe ');
    expect(info).toContain(' lib-name=mylib lib-ver=1.2\n');
    expect(text(await raw('CLIENT', 'LIST'))).toContain(`id=${id.slice(1)} `);
    expect(await send('CLIENT', 'NO-EVICT', 'on')).toBe('+OK');
    expect(await send('CLIENT', 'NO-TOUCH', 'maybe')).toBe('-ERR syntax error');
    expect(replyItems(await raw('CLIENT', 'HELP')).length).toBeGreaterThan(10);
  });

  it('KILL closes another client by ID and by address', async () => {
    const victim = await RawClient.connect(server.port);
    const victimId = formatReply(await victim.send(['CLIENT', 'ID'])).slice(1);
    expect(await send('CLIENT', 'KILL', 'ID', victimId)).toBe(':1');
    await expect(victim.send(['PING'])).rejects.toThrow();
    const second = await RawClient.connect(server.port);
    const address = /addr=(\S+)/.exec(text(await second.send(['CLIENT', 'INFO'])))?.[1] ?? '';
    expect(await send('CLIENT', 'KILL', address)).toBe('+OK');
    await expect(second.send(['PING'])).rejects.toThrow();
    expect(await send('CLIENT', 'KILL', '1.2.3.4:5')).toBe('-ERR No such client');
  });
});

describe('keyspace administration', () => {
  it('DBSIZE, FLUSHDB, FLUSHALL and FUNCTION FLUSH', async () => {
    await send('FLUSHALL');
    expect(await send('DBSIZE')).toBe(':0');
    await send('SET', 'a', '1');
    await send('SET', 'b', '2');
    expect(await send('DBSIZE')).toBe(':2');
    await send('SELECT', '1');
    await send('SET', 'c', '3');
    expect(await send('FLUSHDB', 'ASYNC')).toBe('+OK');
    expect(await send('DBSIZE')).toBe(':0');
    await send('SELECT', '0');
    expect(await send('DBSIZE')).toBe(':2');
    expect(await send('FLUSHALL', 'SYNC')).toBe('+OK');
    expect(await send('DBSIZE')).toBe(':0');
    expect(await send('FLUSHALL', 'LATER')).toBe('-ERR syntax error');
    expect(await send('FUNCTION', 'FLUSH')).toBe('+OK');
  });

  it('answers TIME, LASTSAVE, ROLE, SAVE and ECHO', async () => {
    expect(await send('TIME')).toMatch(/^\["\d{10}", "\d+"\]$/);
    expect(await send('LASTSAVE')).toMatch(/^:\d+$/);
    expect(await send('ROLE')).toMatch(/^\["master", :\d+, \[\]\]$/); // the offset is the WAL sequence number
    expect(await send('SAVE')).toBe('+OK');
    expect(await send('ECHO', 'hi')).toBe('"hi"');
  });
});
