// test/pubsub.test.ts: Pub/Sub end to end (keyspace notifications: keyspace-notifications.test.ts).
// - The bytes a subscriber and a publisher get for a fixed script, in RESP2 and RESP3, equal
//   redis-server 7.0.15's (raw sockets; each step is followed by a PING on the subscriber, so
//   messages and replies interleave the same way on both servers).
// - ioredis (subscriber mode, psubscribe, messageBuffer), node-redis (RESP3 pushes beside normal
//   replies on one connection; RESP2), redis-cli subscribe.
// - A subscriber that does not read is disconnected at client-output-buffer-limit pubsub (hard
//   at once, soft after its seconds), counted in INFO, and the server's memory stays bounded.
// - INFO stats, CLIENT LIST sub= psub= ssub= flags=P, TYPE pubsub, RESET and disconnect.
// The Redis comparisons are skipped, with the reason printed, when redis-server is missing.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteSocket } from './helpers/byte-socket.js';
import { RawClient, formatReply } from './helpers/raw-client.js';
import { hasBinary, hasRedisServer, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

const skipReason = hasRedisServer() ? undefined : 'redis-server is not installed (apt-get install redis-server)';
if (skipReason !== undefined) console.warn(`pubsub differential tests skipped: ${skipReason}`);

let server: StartedServer;
let real: RealRedis | undefined;

beforeAll(async () => {
  server = await startServer();
  if (skipReason === undefined) real = await startRealRedis();
});

afterAll(async () => {
  await server?.stop();
  await real?.stop();
});

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const stopAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > stopAt) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function infoField(client: RawClient, section: string, field: string): Promise<string | undefined> {
  const reply = await client.send(['INFO', section]);
  const text = reply.type === 'bulk' || reply.type === 'verbatim' ? reply.value.toString() : '';
  return new RegExp(`^${field}:(.*)\\r$`, 'm').exec(text)?.[1];
}

// ---- the same bytes as Redis ------------------------------------------------------------------

const PONG_ENDINGS = ['*2\r\n$4\r\npong\r\n$0\r\n\r\n', '+PONG\r\n'];

type Step = { who: 'sub' | 'pub'; args: string[] };
const sub = (...args: string[]): Step => ({ who: 'sub', args });
const pub = (...args: string[]): Step => ({ who: 'pub', args });

const SCRIPT: Step[] = [
  sub('SUBSCRIBE', 'a', 'b'),
  sub('PSUBSCRIBE', 'n.*'),
  sub('SSUBSCRIBE', 's1', 's2'),
  sub('SUBSCRIBE', 'a'), // already: the count stays
  sub('PING', 'hi'),
  sub('GET', 'k'), // refused in RESP2 subscribed mode, a null in RESP3
  sub('CONFIG', 'GET', 'nosuch'), // a subcommand: named 'config|get' in the refusal
  pub('PUBLISH', 'a', 'm1'),
  pub('PUBLISH', 'n.x', 'm2'),
  pub('PUBLISH', 'b', ''),
  pub('PUBLISH', 'zz', 'm3'),
  pub('SPUBLISH', 's1', 'm4'),
  pub('SPUBLISH', 'n.x', 'm5'), // shard channels never reach patterns
  pub('PUBLISH', 'n.y', 'bin\x00\r\n\xff'),
  pub('PUBSUB', 'NUMSUB', 'a', 'b', 'zz'),
  pub('PUBSUB', 'NUMPAT'),
  pub('PUBSUB', 'SHARDNUMSUB', 's1', 'nope'),
  pub('PUBSUB', 'CHANNELS', 'a*'),
  pub('PUBSUB', 'SHARDCHANNELS', 's1*'),
  pub('PUBSUB', 'CHANNELS', 'x', 'y'),
  pub('PUBSUB', 'NUMPAT', 'x'),
  pub('PUBSUB', 'NOSUCH'),
  sub('UNSUBSCRIBE', 'a', 'zz'),
  sub('PUNSUBSCRIBE', 'n.*'),
  sub('SUNSUBSCRIBE', 's1'),
  sub('SUNSUBSCRIBE'), // s2 left: one frame
  sub('UNSUBSCRIBE'), // b left: one frame
  sub('UNSUBSCRIBE'), // none: a null channel
  sub('PUNSUBSCRIBE'),
  sub('SUNSUBSCRIBE'),
  sub('GET', 'k'), // out of Pub/Sub mode: runs
  pub('PUBLISH', 'a', 'late'),
  sub('PSUBSCRIBE', 'h?llo', 'x[ae]y'), // no channel matches both: Redis walks patterns in dict order
  pub('PUBLISH', 'hello', 'x'),
  pub('PUBLISH', 'xay', 'y'),
  pub('PUBLISH', 'xey', 'z'),
  pub('PUBLISH', 'xy', 'no'),
  sub('ECHO', 'e'), // refused in RESP2 subscribed mode
  sub('RESET'),
  pub('PUBLISH', 'hello', 'gone'),
  pub('PUBSUB', 'NUMPAT'),
];

/** Runs SCRIPT; the subscriber's whole byte stream (after HELLO) and the publisher's replies. */
async function runScript(port: number, protocol: 2 | 3): Promise<{ subscriber: string; publisher: string[] }> {
  const subscriber = await ByteSocket.connect(port);
  const publisher = await RawClient.connect(port);
  try {
    if (protocol === 3) {
      subscriber.send(['HELLO', '3']);
      await subscriber.waitForEnd(['$7\r\nmodules\r\n*0\r\n']);
      subscriber.clear();
    }
    const replies: string[] = [];
    let pings = 0;
    for (const step of SCRIPT) {
      if (step.who === 'pub') replies.push(formatReply(await publisher.send(step.args.map((arg) => Buffer.from(arg, 'latin1')))));
      else subscriber.send(step.args.map((arg) => Buffer.from(arg, 'latin1')));
      subscriber.send(['PING']); // a barrier: whatever the step made for the subscriber comes before its answer
      await subscriber.waitForCount(PONG_ENDINGS, ++pings);
    }
    return { subscriber: subscriber.text(), publisher: replies };
  } finally {
    subscriber.close();
    publisher.close();
  }
}

describe.skipIf(skipReason !== undefined)('Pub/Sub bytes against redis-server 7.0.15', () => {
  it.each([2, 3] as const)('sends the same subscriber stream and publisher replies in RESP%i', async (protocol) => {
    const expected = await runScript((real as RealRedis).port, protocol);
    const actual = await runScript(server.port, protocol);
    expect(actual.publisher).toEqual(expected.publisher);
    expect(JSON.stringify(actual.subscriber)).toBe(JSON.stringify(expected.subscriber));
  });

  it('answers PUBSUB HELP and the arity errors as Redis does', async () => {
    const commands = [['PUBSUB', 'HELP'], ['PUBSUB'], ['SUBSCRIBE'], ['PSUBSCRIBE'], ['SSUBSCRIBE'], ['PUBLISH', 'a'], ['SPUBLISH', 'a'], ['PUBSUB', 'HELP', 'x'],
      ['COMMAND', 'GETKEYS', 'SPUBLISH', 'ch', 'msg'], ['COMMAND', 'GETKEYS', 'SSUBSCRIBE', 'a', 'b']];
    const [ours, theirs] = await Promise.all([RawClient.connect(server.port), RawClient.connect((real as RealRedis).port)]);
    for (const args of commands) expect(formatReply(await ours.send(args)), args.join(' ')).toBe(formatReply(await theirs.send(args)));
    ours.close();
    theirs.close();
  });
});

describe('a RESP3 client that publishes to itself', () => {
  it('gets its reply first, then the push (Redis 7.2 order; 7.0 puts the push first)', async () => {
    const client = await ByteSocket.connect(server.port);
    client.send(['HELLO', '3']);
    await client.waitForEnd(['$7\r\nmodules\r\n*0\r\n']);
    client.clear();
    client.send(['SUBSCRIBE', 'self']);
    client.send(['PUBLISH', 'self', 'hi']);
    client.send(['MULTI']);
    client.send(['PUBLISH', 'self', 'in-exec']);
    client.send(['EXEC']);
    await client.waitForText('in-exec\r\n');
    expect(client.text()).toBe(
      '>3\r\n$9\r\nsubscribe\r\n$4\r\nself\r\n:1\r\n' +
        ':1\r\n>3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$2\r\nhi\r\n' +
        '+OK\r\n+QUEUED\r\n*1\r\n:1\r\n>3\r\n$7\r\nmessage\r\n$4\r\nself\r\n$7\r\nin-exec\r\n',
    );
    client.close();
  });
});

// ---- client libraries -------------------------------------------------------------------------

describe('ioredis', () => {
  it.each([2, 3] as const)('subscribes, pattern-subscribes, gets text and binary messages, in RESP%i', async (protocol) => {
    const subscriber = new Redis({ port: server.port, host: '127.0.0.1', protocol });
    const publisher = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const messages: string[] = [];
      const buffers: Buffer[] = [];
      subscriber.on('message', (channel: string, message: string) => messages.push(`message ${channel} ${message}`));
      subscriber.on('pmessage', (pattern: string, channel: string, message: string) => messages.push(`pmessage ${pattern} ${channel} ${message}`));
      subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => buffers.push(message));
      expect(await subscriber.subscribe('news', 'sport')).toBe(2);
      expect(await subscriber.psubscribe('n*')).toBe(3);
      if (protocol === 2) await expect(subscriber.get('k')).rejects.toThrow(/subscriber mode/);
      else expect(await subscriber.get('no-such-key')).toBe(null); // RESP3: commands run beside the pushes
      expect(await publisher.publish('news', 'hello')).toBe(2);
      expect(await publisher.publish('sport', 'goal')).toBe(1);
      expect(await publisher.publish('weather', 'rain')).toBe(0);
      const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
      expect(await publisher.publish('sport', binary)).toBe(1);
      await until(() => messages.length === 4, 3000, 'four messages');
      expect(messages.sort()).toEqual(['message news hello', 'message sport goal', `message sport ${binary.toString()}`, 'pmessage n* news hello'].sort());
      expect(buffers.some((buffer) => buffer.equals(binary))).toBe(true);
      expect(await publisher.pubsub('NUMSUB', 'news', 'sport')).toEqual(['news', 1, 'sport', 1]);
      expect(await subscriber.unsubscribe('news', 'sport')).toBe(1); // ioredis 6 never settles a bare unsubscribe(), with Redis too
      expect(await subscriber.punsubscribe('n*')).toBe(0);
      expect(await subscriber.set('k', 'v')).toBe('OK'); // out of subscriber mode
      expect(await publisher.publish('news', 'after')).toBe(0);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });
});

describe('node-redis', () => {
  it('gets RESP3 pushes through subscribe callbacks while the same connection runs commands', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3 });
    const publisher = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    await publisher.connect();
    try {
      const got: string[] = [];
      await client.subscribe('resp3', (message, channel) => got.push(`${channel}:${message}`));
      await client.pSubscribe('resp3.*', (message, channel) => got.push(`p ${channel}:${message}`));
      await client.sSubscribe('shard3', (message, channel) => got.push(`s ${channel}:${message}`));
      expect(await client.set('resp3-key', 'v')).toBe('OK');
      expect(await publisher.publish('resp3', 'one')).toBe(1);
      expect(await client.get('resp3-key')).toBe('v');
      expect(await publisher.publish('resp3.x', 'two')).toBe(1);
      expect(await publisher.sPublish('shard3', 'three')).toBe(1);
      await until(() => got.length === 3, 3000, 'three messages');
      expect(got).toEqual(['resp3:one', 'p resp3.x:two', 's shard3:three']);
      await client.unsubscribe('resp3');
      expect(await publisher.publish('resp3', 'gone')).toBe(0);
    } finally {
      await client.quit();
      await publisher.quit();
    }
  });

  it('subscribes in RESP2 too', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    const publisher = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    await publisher.connect();
    try {
      const got: string[] = [];
      await client.subscribe(['resp2a', 'resp2b'], (message, channel) => got.push(`${channel}:${message}`));
      expect(await publisher.publish('resp2a', 'x')).toBe(1);
      expect(await publisher.publish('resp2b', 'y')).toBe(1);
      await until(() => got.length === 2, 3000, 'two messages');
      expect(got).toEqual(['resp2a:x', 'resp2b:y']);
    } finally {
      await client.quit();
      await publisher.quit();
    }
  });
});

describe.skipIf(!hasBinary('redis-cli'))('redis-cli subscribe', () => {
  it('prints the subscription and the messages it reads', async () => {
    const child = spawn('redis-cli', ['-p', String(server.port), 'subscribe', 'cli-channel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until(() => output.includes('subscribe\ncli-channel\n1\n'), 5000, 'redis-cli subscribed');
      const publisher = await RawClient.connect(server.port);
      expect(formatReply(await publisher.send(['PUBLISH', 'cli-channel', 'first']))).toBe(':1');
      expect(formatReply(await publisher.send(['PUBLISH', 'cli-channel', 'two words']))).toBe(':1');
      publisher.close();
      await until(() => output.includes('two words\n'), 5000, 'redis-cli printed the messages');
      expect(output).toBe('subscribe\ncli-channel\n1\nmessage\ncli-channel\nfirst\nmessage\ncli-channel\ntwo words\n');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});

// ---- bounds -----------------------------------------------------------------------------------

describe('a subscriber that does not read', () => {
  const MESSAGE = Buffer.alloc(1024 * 1024, 0x61);

  it('is disconnected at the hard limit (32mb) and the server memory stays bounded', async () => {
    const admin = await RawClient.connect(server.port);
    const rssBefore = Number(await infoField(admin, 'memory', 'used_memory_rss'));
    const disconnectionsBefore = Number(await infoField(admin, 'stats', 'client_output_buffer_limit_disconnections'));
    const subscriber = await ByteSocket.connect(server.port);
    subscriber.send(['SUBSCRIBE', 'firehose']);
    await subscriber.waitForText(':1\r\n');
    subscriber.socket.pause(); // reads nothing more: the kernel buffers fill, then the server's
    const publisher = await RawClient.connect(server.port);
    let rssMax = rssBefore;
    let delivered = 0;
    for (let batch = 0; batch < 32; batch++) { // at most 512 MB published
      const replies = await publisher.pipeline(Array.from({ length: 16 }, () => ['PUBLISH', 'firehose', MESSAGE]));
      delivered += replies.filter((reply) => formatReply(reply) === ':1').length;
      rssMax = Math.max(rssMax, Number(await infoField(admin, 'memory', 'used_memory_rss')));
      if (formatReply(replies[replies.length - 1]!) === ':0') break;
    }
    expect(delivered).toBeGreaterThanOrEqual(31); // 31 MB of 1 MB messages fit under the 32 MB hard limit...
    expect(delivered).toBeLessThanOrEqual(56); // ...plus what the kernel's socket buffers took (Linux loopback: ~10 MB)
    expect(formatReply(await admin.send(['PUBSUB', 'NUMSUB', 'firehose']))).toBe('["firehose", :0]');
    expect(Number(await infoField(admin, 'stats', 'client_output_buffer_limit_disconnections'))).toBe(disconnectionsBefore + 1);
    expect(rssMax - rssBefore).toBeLessThan(256 * 1024 * 1024);
    subscriber.socket.resume();
    await subscriber.waitClosed(5000);
    publisher.close();
    admin.close();
  });

  it('is disconnected once past the soft limit for longer than its seconds; a reader is not', async () => {
    const admin = await RawClient.connect(server.port);
    expect(formatReply(await admin.send(['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 256kb 1']))).toBe('+OK');
    try {
      const stalled = await ByteSocket.connect(server.port);
      stalled.send(['SUBSCRIBE', 'soft']);
      await stalled.waitForText(':1\r\n');
      stalled.socket.pause();
      const reader = await ByteSocket.connect(server.port);
      reader.send(['SUBSCRIBE', 'soft']);
      await reader.waitForText(':1\r\n');
      const publisher = await RawClient.connect(server.port);
      // Messages smaller than the soft limit, paced: a subscriber that reads is under the limit each
      // time one is queued, as in Redis (which samples on each add). With 1 MB messages every add
      // put the reader over it too, and on a loaded machine it was dropped once the burst took > 1 s.
      const small = Buffer.alloc(64 * 1024, 0x62);
      const MESSAGES_MAX = 800; // 50 MB: past the stalled socket's kernel buffers (~10 MB) in any case
      const startedMs = Date.now();
      const replies: string[] = [];
      let firstDroppedMs = 0;
      while (replies.length < MESSAGES_MAX && firstDroppedMs === 0) {
        const reply = formatReply(await publisher.send(['PUBLISH', 'soft', small]));
        replies.push(reply);
        if (reply !== ':2') firstDroppedMs = Date.now() - startedMs;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(replies[replies.length - 1]).toBe(':1'); // the stalled one dropped, the reader kept
      expect(replies.slice(0, -1).every((reply) => reply === ':2')).toBe(true); // the soft limit closes nobody at once...
      expect(firstDroppedMs).toBeGreaterThanOrEqual(900); // ...nor before its second over the soft limit ran
      expect(formatReply(await admin.send(['PUBSUB', 'NUMSUB', 'soft']))).toBe('["soft", :1]');
      await until(() => reader.byteCount() >= replies.length * small.length, 5000, 'the reader got everything');
      expect(reader.closed()).toBe(false);
      stalled.close();
      reader.close();
      publisher.close();
    } finally {
      await admin.send(['CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60']);
      admin.close();
    }
  });
});

describe('subscriptions', () => {
  it('show in INFO stats and CLIENT LIST, filter CLIENT LIST / KILL TYPE pubsub, and go with RESET and disconnect', async () => {
    const admin = await RawClient.connect(server.port);
    const subscriber = await ByteSocket.connect(server.port);
    subscriber.send(['CLIENT', 'SETNAME', 'listener']);
    subscriber.send(['SUBSCRIBE', 'i1', 'i2']);
    subscriber.send(['PSUBSCRIBE', 'i*']);
    subscriber.send(['SSUBSCRIBE', 'is']);
    await subscriber.waitForText('$2\r\nis\r\n:1\r\n');
    expect(await infoField(admin, 'stats', 'pubsub_channels')).toBe('2');
    expect(await infoField(admin, 'stats', 'pubsub_patterns')).toBe('1');
    expect(await infoField(admin, 'stats', 'pubsubshard_channels')).toBe('1');
    const list = formatReply(await admin.send(['CLIENT', 'LIST', 'TYPE', 'pubsub']));
    expect(list).toMatch(/name=listener .*flags=P db=0 sub=2 psub=1 ssub=1 /);
    expect(list).not.toContain('flags=N');
    expect(formatReply(await admin.send(['CLIENT', 'LIST', 'TYPE', 'normal']))).not.toContain('name=listener');
    subscriber.send(['RESET']);
    await subscriber.waitForText('+RESET\r\n');
    expect(await infoField(admin, 'stats', 'pubsub_channels')).toBe('0');
    expect(formatReply(await admin.send(['CLIENT', 'LIST', 'TYPE', 'pubsub']))).toBe('""');
    expect(formatReply(await admin.send(['PUBLISH', 'i1', 'x']))).toBe(':0');
    subscriber.clear();
    subscriber.send(['SUBSCRIBE', 'i1']);
    await subscriber.waitForText('$2\r\ni1\r\n:1\r\n');
    expect(formatReply(await admin.send(['CLIENT', 'KILL', 'TYPE', 'pubsub']))).toBe(':1');
    await subscriber.waitClosed(3000);
    const gone = await ByteSocket.connect(server.port);
    gone.send(['SUBSCRIBE', 'i2']);
    await gone.waitForText(':1\r\n');
    gone.close();
    await until(async () => formatReply(await admin.send(['PUBSUB', 'NUMSUB', 'i2'])) === '["i2", :0]', 3000, 'a closed subscriber unsubscribed');
    admin.close();
  });

  it('refuses a SUBSCRIBE past limits.subscriptionsPerClientMax as a whole', async () => {
    const client = await RawClient.connect(server.port);
    const channels = Array.from({ length: 100_001 }, (_, index) => `c${index}`);
    expect(formatReply(await client.send(['SUBSCRIBE', ...channels]))).toBe('-ERR too many subscriptions for this client (at most 100000)');
    expect(formatReply(await client.send(['PUBSUB', 'NUMSUB', 'c0']))).toBe('["c0", :0]');
    client.close();
  });

  it('keeps a subscriber past the idle timeout that closes other clients', async () => {
    const admin = await RawClient.connect(server.port);
    expect(formatReply(await admin.send(['CONFIG', 'SET', 'timeout', '1']))).toBe('+OK');
    try {
      const idle = await ByteSocket.connect(server.port);
      const subscriber = await ByteSocket.connect(server.port);
      subscriber.send(['SUBSCRIBE', 'patient']);
      await subscriber.waitForText(':1\r\n');
      await until(async () => formatReply(await admin.send(['PING'])) === '+PONG' && idle.closed(), 5000, 'the idle client closed'); // PINGs keep admin busy
      expect(subscriber.closed()).toBe(false);
      expect(formatReply(await admin.send(['PUBLISH', 'patient', 'still here']))).toBe(':1');
      subscriber.close();
    } finally {
      await admin.send(['CONFIG', 'SET', 'timeout', '0']);
      admin.close();
    }
  });
});

// ---- client libraries: shard channels, resubscription, node-redis RESP2 patterns ----------------

describe('ioredis shard channels and reconnection', () => {
  it.each([2, 3] as const)('delivers shard messages and resubscribes everything after CLIENT KILL, in RESP%i', async (protocol) => {
    const subscriber = new Redis({ port: server.port, host: '127.0.0.1', protocol, retryStrategy: () => 50 });
    subscriber.on('error', () => undefined); // the kill: ioredis reconnects
    const publisher = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      expect(String(await subscriber.client('INFO'))).toContain(` resp=${protocol} `);
      const got: string[] = [];
      subscriber.on('message', (channel: string, message: string) => got.push(`message ${channel} ${message}`));
      subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => got.push(`pmessage ${channel} ${message}`));
      subscriber.on('smessage', (channel: string, message: string) => got.push(`smessage ${channel} ${message}`));
      expect(await subscriber.subscribe(`plain${protocol}`)).toBe(1);
      expect(await subscriber.psubscribe(`pat${protocol}.*`)).toBe(2);
      expect(await subscriber.ssubscribe(`shard${protocol}`)).toBe(1); // Redis counts shard channels apart
      expect(await publisher.spublish(`shard${protocol}`, 'one')).toBe(1);
      expect(await publisher.publish(`shard${protocol}`, 'not a shard publish')).toBe(0);
      await until(() => got.length === 1, 3000, 'the shard message');
      const ready = new Promise((resolve) => subscriber.once('ready', resolve));
      expect(await publisher.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1);
      await ready; // reconnected; ioredis then subscribes again to what it had
      await until(async () => {
        const counts = await publisher.pubsub('NUMSUB', `plain${protocol}`);
        const shards = await publisher.pubsub('SHARDNUMSUB', `shard${protocol}`);
        return counts[1] === 1 && shards[1] === 1 && (await publisher.call('PUBSUB', 'NUMPAT')) === 1;
      }, 5000, 'resubscribed');
      expect(await publisher.publish(`plain${protocol}`, 'two')).toBe(1);
      expect(await publisher.publish(`pat${protocol}.x`, 'three')).toBe(1);
      expect(await publisher.spublish(`shard${protocol}`, 'four')).toBe(1);
      await until(() => got.length === 4, 3000, 'three more messages');
      expect(got).toEqual([`smessage shard${protocol} one`, `message plain${protocol} two`, `pmessage pat${protocol}.x three`, `smessage shard${protocol} four`]);
      expect(await subscriber.sunsubscribe(`shard${protocol}`)).toBe(0);
      expect(await subscriber.punsubscribe(`pat${protocol}.*`)).toBe(1);
      expect(await subscriber.unsubscribe(`plain${protocol}`)).toBe(0);
    } finally {
      subscriber.disconnect();
      publisher.disconnect();
    }
  });
});

describe('node-redis in RESP2', () => {
  it('pattern- and shard-subscribes, unsubscribes one of several, and reads PUBSUB', async () => {
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    const publisher = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    await publisher.connect();
    try {
      const got: string[] = [];
      await client.pSubscribe(['r2.*', 'other.*'], (message, channel) => got.push(`p ${channel}:${message}`));
      await client.sSubscribe('r2shard', (message, channel) => got.push(`s ${channel}:${message}`));
      await client.subscribe('r2plain', (message, channel) => got.push(`${channel}:${message}`), true); // buffers
      expect(await publisher.pubSubNumPat()).toBe(2);
      expect(await publisher.pubSubChannels('r2*')).toEqual(['r2plain']);
      expect(await publisher.pubSubShardChannels()).toEqual(['r2shard']);
      expect(await publisher.publish('r2.a', 'one')).toBe(1);
      expect(await publisher.sPublish('r2shard', 'two')).toBe(1);
      expect(await publisher.publish('r2plain', Buffer.from([0, 0xff, 0x0a]))).toBe(1);
      await until(() => got.length === 3, 3000, 'three messages');
      expect(got).toEqual(['p r2.a:one', 's r2shard:two', `r2plain:${Buffer.from([0, 0xff, 0x0a]).toString()}`]);
      await client.pUnsubscribe('r2.*');
      expect(await publisher.pubSubNumPat()).toBe(1);
      expect(await publisher.publish('r2.a', 'gone')).toBe(0);
      expect(await publisher.publish('other.a', 'kept')).toBe(1);
      await until(() => got.length === 4, 3000, 'the other pattern');
      expect(got[3]).toBe('p other.a:kept');
      await client.sUnsubscribe();
      expect(await publisher.sPublish('r2shard', 'gone')).toBe(0);
    } finally {
      await client.quit();
      await publisher.quit();
    }
  });
});

describe('limits.subscriptionsPerClientMax', () => {
  it('counts channels, patterns and shard channels together, refusing the command that would pass it', async () => {
    const TOO_MANY = '-ERR too many subscriptions for this client (at most 100000)\r\n';
    const names = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}`);
    const admin = await RawClient.connect(server.port);
    const client = await ByteSocket.connect(server.port);
    try {
      client.send(['CLIENT', 'SETNAME', 'hoarder']);
      client.send(['SUBSCRIBE', ...names('lc', 60_000)]);
      client.send(['PSUBSCRIBE', ...names('lp*', 30_000)]);
      client.send(['SSUBSCRIBE', ...names('ls', 9_999)]);
      await client.waitForEnd(['$6\r\nls9998\r\n:9999\r\n'], 30_000);
      client.clear();
      client.send(['SSUBSCRIBE', 'ls-a', 'ls-b']); // 100,001
      client.send(['SUBSCRIBE', 'lc-last']); // 100,000: still allowed
      client.send(['PSUBSCRIBE', 'lp-more*']);
      client.send(['SUBSCRIBE', 'lc-more']);
      client.send(['PING']);
      await client.waitForEnd(['*2\r\n$4\r\npong\r\n$0\r\n\r\n'], 10_000);
      expect(client.text()).toBe(`${TOO_MANY}*3\r\n$9\r\nsubscribe\r\n$7\r\nlc-last\r\n:90001\r\n${TOO_MANY}${TOO_MANY}*2\r\n$4\r\npong\r\n$0\r\n\r\n`);
      expect(formatReply(await admin.send(['CLIENT', 'LIST', 'TYPE', 'pubsub']))).toMatch(/name=hoarder .*sub=60001 psub=30000 ssub=9999 /);
      expect(formatReply(await admin.send(['PUBLISH', 'lc-more', 'x']))).toBe(':0');
      expect(formatReply(await admin.send(['PUBLISH', 'lc-last', 'x']))).toBe(':1');
    } finally {
      client.close();
      admin.close();
    }
  }, 60_000);
});
describe.skipIf(skipReason !== undefined)('CLIENT REPLY OFF and subscription frames', () => {
  it('still sends (un)subscribe frames under CLIENT REPLY OFF, in RESP2 and RESP3, as redis-server 7.0.15', async () => {
    // Redis's unit/pubsub "PubSub messages with CLIENT REPLY OFF": pushes pass REPLY OFF (CLIENT_PUSHING)
    const script = async (port: number, protocol: '2' | '3'): Promise<string> => {
      const subscriber = await ByteSocket.connect(port);
      const publisher = await RawClient.connect(port);
      try {
        subscriber.send(['HELLO', protocol]);
        await subscriber.waitForText('modules');
        subscriber.clear();
        subscriber.send(['CLIENT', 'REPLY', 'OFF']);
        subscriber.send(['SUBSCRIBE', 'quiet']);
        subscriber.send(['PSUBSCRIBE', 'qu*']);
        await until(async () => formatReply(await publisher.send(['PUBSUB', 'NUMPAT'])) === ':1', 3000, 'subscribed');
        expect(formatReply(await publisher.send(['PUBLISH', 'quiet', 'hello']))).toBe(':2');
        await subscriber.waitForText('pmessage');
        subscriber.send(['UNSUBSCRIBE', 'quiet']);
        subscriber.send(['PUNSUBSCRIBE', 'qu*']);
        subscriber.send(['CLIENT', 'REPLY', 'ON']);
        subscriber.send(['ECHO', 'done']);
        await subscriber.waitForText('done');
        return subscriber.text();
      } finally {
        subscriber.close();
        publisher.close();
      }
    };
    for (const protocol of ['3', '2'] as const) {
      const mine = await script(server.port, protocol);
      expect(mine).toBe(await script((real as RealRedis).port, protocol));
      expect(mine).toContain(`${protocol === '3' ? '>' : '*'}3\r\n$9\r\nsubscribe\r\n$5\r\nquiet\r\n:1\r\n`);
    }
  });
});
