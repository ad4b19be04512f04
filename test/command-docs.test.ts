// test/command-docs.test.ts: COMMAND DOCS, GETKEYS, GETKEYSANDFLAGS and HELP against a real
// redis-server 7.0.15, and redis-cli's `help <command>` against both.
// How replies are compared:
// - COMMAND DOCS <name> for every command both serve, in RESP2 and RESP3, exactly (types, field
//   order, texts), except that a map of subcommands is compared as a set (Redis walks a dict
//   seeded at random on each start); a container compares the subcommands tskv serves, and tskv's
//   own subcommands (TSKV_ONLY) are checked against their CommandSpec instead;
// - the data (src/commands/redis-commands.json) against Redis's COMMAND DOCS for all its commands;
// - GETKEYS / GETKEYSANDFLAGS for every served command with 0 to 4 arguments, exactly;
// - redis-cli prints the same help text for both servers.
// Skipped, with the reason printed, when redis-server (or, for the help test, redis-cli) is missing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply, replyBytes, replyItems, type Reply } from './helpers/raw-client.js';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';
import redisCommands from '../src/commands/redis-commands.json' with { type: 'json' };

const run = promisify(execFile);
const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
const cliSkipReason = skipReason ?? (hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)');
if (cliSkipReason !== undefined) console.warn(`command docs test skipped in part: ${cliSkipReason}`);

/** Subcommands tskv serves that Redis 7.0.15 does not have (7.2's, and tskv's DEBUG subcommands). */
const TSKV_ONLY = ['client|no-touch', 'client|setinfo', 'debug|compact', 'debug|help', 'debug|set-active-expire', 'debug|sleep'];
/**
 * RedisTimeSeries's commands (a module's, which redis-server 7.0.15 without it does not serve), and
 * tskv's own top-level commands (CLUSTERX, Kvrocks's topology pushes): Redis has no docs for them.
 */
const isModuleCommand = (name: string): boolean => name.startsWith('ts.') || name === 'clusterx' || name.startsWith('clusterx|');

let tskv: StartedServer;
let redis: RealRedis;
const clients: Record<'tskv' | 'redis', Record<2 | 3, RawClient>> = {} as never;

beforeAll(async () => {
  if (skipReason !== undefined) return;
  [tskv, redis] = await Promise.all([startServer(), startRealRedis()]);
  for (const [name, port] of [['tskv', tskv.port], ['redis', redis.port]] as const) {
    const resp3 = await RawClient.connect(port);
    await resp3.send(['HELLO', '3']);
    clients[name] = { 2: await RawClient.connect(port), 3: resp3 };
  }
});

afterAll(async () => {
  for (const pair of Object.values(clients)) for (const client of Object.values(pair)) client.close();
  await Promise.all([tskv?.stop(), redis?.stop()]);
});

function pairs(reply: Reply): [Reply, Reply][] {
  if (reply.type === 'map') return reply.value;
  const items = replyItems(reply);
  return Array.from({ length: items.length / 2 }, (_, index) => [items[2 * index] as Reply, items[2 * index + 1] as Reply]);
}

function withPairs(like: Reply, entries: [Reply, Reply][]): Reply {
  return like.type === 'map' ? { type: 'map', value: entries } : { type: 'array', value: entries.flat() };
}

const nameOf = (reply: Reply) => replyBytes(reply).toString();

/** A COMMAND DOCS reply (name -> docs) sorted by name, each docs' subcommands likewise, keeping only names `keep` accepts. */
function canonicalDocs(reply: Reply, keep: (name: string) => boolean): Reply {
  const entries = pairs(reply).filter(([name]) => keep(nameOf(name)))
    .map(([name, docs]): [Reply, Reply] => [name, canonicalFields(docs, keep)])
    .sort(([a], [b]) => nameOf(a).localeCompare(nameOf(b)));
  return withPairs(reply, entries);
}

function canonicalFields(docs: Reply, keep: (name: string) => boolean): Reply {
  const fields: [Reply, Reply][] = [];
  for (const [field, value] of pairs(docs)) {
    if (nameOf(field) !== 'subcommands') fields.push([field, value]);
    else if (pairs(value).some(([name]) => keep(nameOf(name)))) fields.push([field, canonicalDocs(value, keep)]);
  }
  return withPairs(docs, fields);
}

async function both(protocol: 2 | 3, args: string[]): Promise<{ ours: Reply; theirs: Reply }> {
  const [ours, theirs] = await Promise.all([clients.tskv[protocol].send(args), clients.redis[protocol].send(args)]);
  return { ours, theirs };
}

async function commandList(client: RawClient): Promise<string[]> {
  return replyItems(await client.send(['COMMAND', 'LIST'])).map(nameOf);
}

describe.skipIf(skipReason !== undefined)('COMMAND DOCS against redis-server 7.0.15', () => {
  it('equals Redis for every command both serve, in RESP2 and RESP3', async () => {
    const ours = await commandList(clients.tskv[2]);
    const theirs = new Set(await commandList(clients.redis[2]));
    expect(ours.filter((name) => !theirs.has(name) && !isModuleCommand(name)).sort()).toEqual(TSKV_ONLY);
    const shared = (name: string) => theirs.has(name) && ours.includes(name);
    const topLevel = ours.filter((name) => !name.includes('|'));
    expect(topLevel.length).toBeGreaterThanOrEqual(80);
    for (const protocol of [2, 3] as const) {
      for (const name of ours.filter(shared)) {
        const replies = await both(protocol, ['COMMAND', 'DOCS', name]);
        expect(formatReply(canonicalDocs(replies.ours, shared)), `COMMAND DOCS ${name}, RESP${protocol}`)
          .toBe(formatReply(canonicalDocs(replies.theirs, shared)));
      }
    }
  });

  it('sends the full reply unchanged where tskv serves what Redis serves (SET, GETEX, CONFIG, COMMAND)', async () => {
    for (const protocol of [2, 3] as const) {
      for (const names of [['set'], ['get', 'getex', 'incrbyfloat'], ['config'], ['command'], ['object', 'memory|usage', 'nosuch']]) {
        const replies = await both(protocol, ['COMMAND', 'DOCS', ...names]);
        expect(formatReply(canonicalDocs(replies.ours, () => true))).toBe(formatReply(canonicalDocs(replies.theirs, () => true)));
      }
    }
    const set = formatReply((await both(3, ['COMMAND', 'DOCS', 'set'])).ours);
    expect(set).toContain('"arguments": [%{"name": "key", "type": "key", "key_spec_index": :0}');
    expect(set).toContain('"history": ~{["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."]');
  });

  it('holds, for every command Redis serves (served by tskv or not), what Redis answers', async () => {
    const toJson = (reply: Reply): unknown => {
      if (reply.type === 'map') return Object.fromEntries(reply.value.map(([field, value]) => [nameOf(field), toJson(value)]));
      if (reply.type === 'array' || reply.type === 'set') return reply.value.map(toJson);
      if (reply.type === 'integer') return Number(reply.value);
      return replyBytes(reply).toString();
    };
    const expected: Record<string, unknown> = {};
    const collect = (reply: Reply) => {
      for (const [name, docs] of pairs(reply)) {
        const fields = toJson(docs) as Record<string, unknown>;
        const subcommands = pairs(docs).find(([field]) => nameOf(field) === 'subcommands')?.[1];
        delete fields['subcommands'];
        expected[nameOf(name)] = fields;
        if (subcommands !== undefined) collect(subcommands);
      }
    };
    collect(await clients.redis[3].send(['COMMAND', 'DOCS']));
    expect(Object.keys(expected).length).toBeGreaterThan(300);
    const docs = redisCommands.docs as Record<string, unknown>;
    for (const [name, fields] of Object.entries(expected)) expect(JSON.stringify(docs[name]), name).toBe(JSON.stringify(fields));
    expect(JSON.stringify(docs['migrate'])).toContain('{"name":"empty_string","type":"pure-token","token":""}');
  });

  it("describes tskv's own subcommands by their CommandSpec, inside Redis's docs of the container", async () => {
    const client = pairs(pairs((await clients.tskv[3].send(['COMMAND', 'DOCS', 'client']))).at(0)?.[1] as Reply);
    expect(client.map(([field]) => nameOf(field))).toEqual(['summary', 'since', 'group', 'complexity', 'subcommands']);
    const subcommands = new Map(pairs(client.at(-1)?.[1] as Reply).map(([name, docs]) => [nameOf(name), formatReply(docs)]));
    expect(subcommands.get('client|setinfo')).toMatch(/^%\{"summary": ".+", "since": "7\.2\.0", "group": "connection"\}$/);
    expect(subcommands.get('client|kill')).toContain('"arguments": ');
    const all = pairs(await clients.tskv[2].send(['COMMAND', 'DOCS']));
    expect(all.map(([name]) => nameOf(name))).toEqual((await commandList(clients.tskv[2])).filter((name) => !name.includes('|')));
  });
});

describe.skipIf(skipReason !== undefined)('COMMAND GETKEYS and GETKEYSANDFLAGS against redis-server 7.0.15', () => {
  it('answers as Redis for every served command with 0 to 4 arguments', async () => {
    // DEBUG is a container in tskv and one command in Redis, so `GETKEYS debug x` differs: left out.
    const names = (await commandList(clients.tskv[2])).filter((name) => !TSKV_ONLY.includes(name) && name !== 'debug' && !isModuleCommand(name));
    const requests: string[][] = [];
    for (const name of names) {
      const words = name.split('|');
      for (let extra = 0; extra <= 4; extra++) {
        const target = [...words, ...Array.from({ length: extra }, (_, index) => `k${index}`)];
        requests.push(['COMMAND', 'GETKEYS', ...target], ['COMMAND', 'GETKEYSANDFLAGS', ...target]);
      }
    }
    requests.push(['COMMAND', 'GETKEYS', 'nosuch', 'a'], ['COMMAND', 'GETKEYS', 'client', 'nosuch'], ['COMMAND', 'GETKEYS', 'ping', 'a', 'b']);
    for (const options of [[], ['get'], ['EX', '10', 'GET'], ['NX'], ['gets']]) requests.push(['COMMAND', 'GETKEYSANDFLAGS', 'SET', 'a', 'b', ...options]);
    requests.push(['COMMAND', 'GETKEYSANDFLAGS', 'MSET', 'a', '1', 'b'], ['COMMAND', 'GETKEYSANDFLAGS', 'RENAMENX', 'a', 'b']);
    requests.push(['COMMAND', 'GETKEYSANDFLAGS', 'OBJECT', 'encoding', 'k'], ['COMMAND', 'GETKEYSANDFLAGS', 'lcs', 'a', 'b', 'LEN']);
    for (const protocol of [2, 3] as const) {
      const shared = requests;
      const [ours, theirs] = await Promise.all([clients.tskv[protocol].pipeline(shared), clients.redis[protocol].pipeline(shared)]);
      const differences = shared.map((request, index) => [request.join(' '), formatReply(ours[index] as Reply), formatReply(theirs[index] as Reply)])
        .filter(([, mine, redis]) => mine !== redis);
      expect(differences).toEqual([]);
      expect(theirs.filter((reply) => reply.type === 'error').length).toBeGreaterThan(50);
    }
  });

  it('says the named command has too few arguments, as Redis 7.0 does', async () => {
    expect(formatReply(await clients.tskv[2].send(['COMMAND', 'GETKEYS', 'set']))).toBe("-ERR wrong number of arguments for 'command|getkeys' command");
    expect(formatReply(await clients.tskv[2].send(['COMMAND', 'GETKEYS', 'set', 'a']))).toBe('-ERR Invalid number of arguments specified for command');
    expect(formatReply(await clients.tskv[2].send(['COMMAND', 'GETKEYS']))).toBe("-ERR wrong number of arguments for 'command|getkeys' command");
    expect(formatReply(await clients.tskv[3].send(['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'get']))).toBe('[["a", ~{+RW, +access, +update}]]');
  });

  it('COMMAND HELP is Redis\'s text', async () => {
    const { ours, theirs } = await both(2, ['COMMAND', 'HELP']);
    expect(formatReply(ours)).toBe(formatReply(theirs));
  });
});

describe.skipIf(cliSkipReason !== undefined)('redis-cli help against tskv and redis-server 7.0.15', () => {
  const help = async (port: number, words: string[]) => (await run('redis-cli', ['-p', String(port), 'help', ...words], { timeout: 10_000 })).stdout;

  it("prints Redis's syntax line for SET", async () => {
    const ours = await help(tskv.port, ['set']);
    expect(ours).toContain('SET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m');
    expect(ours).toBe(await help(redis.port, ['set']));
  });

  it('prints the same help as for Redis for a sample of commands and subcommands', async () => {
    const sample = [['get'], ['getex'], ['incrbyfloat'], ['mset'], ['scan'], ['restore'], ['expire'], ['client', 'kill'], ['config', 'set'],
      ['command', 'docs'], ['object', 'encoding'], ['hello'], ['lcs']];
    for (const words of sample) {
      const [ours, theirs] = await Promise.all([help(tskv.port, words), help(redis.port, words)]);
      expect(ours, `help ${words.join(' ')}`).toBe(theirs);
      expect(ours).toContain('summary:');
    }
  });
});
