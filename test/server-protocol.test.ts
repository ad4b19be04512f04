// test/server-protocol.test.ts: the server's front end seen from a raw socket: pipelining and
// order, inline requests, protocol errors (reply, then close), and Redis's error texts word for word.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand, formatReply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';
import { READ_BUFFER_BYTES } from '../src/net/socket-reader.js';

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Writes raw bytes; resolves with everything received until the server closes (or timeoutMs). */
function exchangeUntilClose(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

/** A raw connection whose replies(n) resolves with what arrived once n bytes did (or after 10 s). */
async function connectCollecting(): Promise<{ socket: net.Socket; replies: (bytes: number) => Promise<Buffer> }> {
  const socket = net.connect(server.port, '127.0.0.1');
  const received: Buffer[] = [];
  let receivedBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    receivedBytes += chunk.length;
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  const replies = async (bytes: number): Promise<Buffer> => {
    for (let waited = 0; receivedBytes < bytes && waited < 1000; waited++) await new Promise((resolve) => setTimeout(resolve, 10));
    return Buffer.concat(received);
  };
  return { socket, replies };
}

function range<T>(count: number, item: (index: number) => T): T[] {
  return Array.from({ length: count }, (_, index) => item(index));
}

async function one(args: string[]): Promise<string> {
  const client = await RawClient.connect(server.port);
  try {
    return formatReply(await client.send(args));
  } finally {
    client.close();
  }
}

describe('pipelining', () => {
  it('answers 10,000 commands written in one write with 10,000 replies in order', async () => {
    const client = await RawClient.connect(server.port);
    const commands: string[][] = [];
    for (let index = 0; index < 10_000; index++) {
      if (index % 3 === 0) commands.push(['SET', `pipe:${index}`, `v${index}`]);
      else if (index % 3 === 1) commands.push(['GET', `pipe:${index - 1}`]);
      else commands.push(['ECHO', `e${index}`]);
    }
    const replies = await client.pipeline(commands);
    client.close();
    expect(replies).toHaveLength(10_000);
    for (let index = 0; index < 10_000; index++) {
      const reply = formatReply(replies[index]!);
      if (index % 3 === 0) expect(reply).toBe('+OK');
      else if (index % 3 === 1) expect(reply).toBe(JSON.stringify(`v${index - 1}`));
      else expect(reply).toBe(JSON.stringify(`e${index}`));
    }
  });

  it('answers requests split across packets one byte at a time', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const bytes = Buffer.concat([encodeCommand(['ECHO', 'split']), Buffer.from('PING\r\n')]);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    for (const byte of bytes) {
      socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (text !== '$5\r\nsplit\r\n+PONG\r\n') await new Promise((resolve) => setTimeout(resolve, 5));
    socket.destroy();
  });

  it('answers pipelined ECHO, SET and GET of 0 B to 100 KiB written in pieces of any size, byte for byte', async () => {
    // Reads land in a reused buffer unless the server still holds their bytes (src/net/socket-reader.ts):
    // large bulks replied by reference and requests cut between reads must survive the next read.
    let seed = 0x2545f491;
    const random = (bound: number): number => {
      seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return seed % bound;
    };
    const payload = (index: number): Buffer => {
      const sizes = [0, 1, 100, 16 * 1024 - 1, 16 * 1024, 40_000, 100 * 1024];
      const bytes = Buffer.alloc(sizes[random(sizes.length)]! + random(50));
      for (let offset = 0; offset < bytes.length; offset++) bytes[offset] = (index * 31 + offset * 7) & 0xff;
      return bytes;
    };
    const requests: Buffer[] = [];
    const expected: Buffer[] = [];
    const bulk = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
    for (let index = 0; index < 300; index++) {
      const value = payload(index);
      const key = `piece:${index}`;
      requests.push(encodeCommand(['ECHO', value]), encodeCommand(['SET', key, value]), encodeCommand(['GET', key]));
      expected.push(bulk(value), Buffer.from('+OK\r\n'), bulk(value));
    }
    const stream = Buffer.concat(requests);
    const want = Buffer.concat(expected);
    const { socket, replies } = await connectCollecting();
    socket.pause(); // not reading at first: the server's replies queue up unsent while it reads on
    for (let offset = 0; offset < stream.length; ) {
      const size = [1, 7, 500, 16 * 1024, 70_000][random(5)]! + random(100);
      socket.write(stream.subarray(offset, offset + size));
      offset += size;
      if (random(4) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.resume();
    const got = await replies(want.length);
    socket.destroy();
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });

  it('keeps replies intact while connections write batch after batch into reused reply memory', async () => {
    // A connection whose socket took its last write whole starts its reply slab over (RespWriter
    // recycle): replies of 1 KB to ~300 KB per batch, written by 6 connections in turn, must each
    // come out byte for byte.
    const element = (index: number): Buffer => Buffer.alloc(100 + (index % 7), 0x61 + (index % 26));
    const setup = await RawClient.connect(server.port);
    for (let start = 0; start < 300; start += 50) await setup.send(['RPUSH', 'recycle:list', ...range(50, (offset) => element(start + offset).toString('latin1'))]);
    await setup.send(['SET', 'recycle:value', 'v'.repeat(3000)]);
    setup.close();
    const bulk = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]);
    const lrange = (count: number): Buffer => Buffer.concat([Buffer.from(`*${count}\r\n`), ...range(count, (index) => bulk(element(index)))]);
    const connections = await Promise.all(range(6, () => connectCollecting()));
    let expectedBytes = connections.map(() => [] as Buffer[]);
    for (let round = 0; round < 8; round++) {
      for (const [index, { socket }] of connections.entries()) {
        const requests: Buffer[] = [];
        const commands = 1 + ((round * 7 + index * 5) % 30); // 1 .. 30 commands, each ~1-30 KB of reply
        for (let command = 0; command < commands; command++) {
          const count = 1 + ((command * 37 + round) % 300);
          requests.push(encodeCommand(['LRANGE', 'recycle:list', '0', String(count - 1)]), encodeCommand(['GET', 'recycle:value']), encodeCommand(['SET', `recycle:${index}`, String(round)]));
          expectedBytes[index]!.push(lrange(count), bulk(Buffer.from('v'.repeat(3000))), Buffer.from('+OK\r\n'));
        }
        socket.write(Buffer.concat(requests));
      }
      for (const [index, { replies }] of connections.entries()) {
        const want = Buffer.concat(expectedBytes[index]!);
        const got = await replies(want.length);
        expect(got.length).toBe(want.length);
        expect(got.equals(want)).toBe(true);
      }
    }
    for (const { socket } of connections) socket.destroy();
    expectedBytes = [];
  });

  it('keeps a large ECHO reply intact when the next request lands in the same read buffer', async () => {
    // Each request fills exactly one read buffer, so the server's second read reuses the memory of
    // the first (src/net/socket-reader.ts) unless it knows the first reply still points into it.
    const fill = (byte: number): Buffer => {
      let valueBytes = READ_BUFFER_BYTES - 30;
      while (encodeCommand(['ECHO', Buffer.alloc(valueBytes)]).length < READ_BUFFER_BYTES) valueBytes++;
      return Buffer.alloc(valueBytes, byte);
    };
    const values = [fill(0x61), fill(0x62), fill(0x63), fill(0x64)];
    const requests = values.map((value) => encodeCommand(['ECHO', value]));
    expect(requests.every((request) => request.length === READ_BUFFER_BYTES)).toBe(true);
    const want = Buffer.concat(values.map((value) => Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')])));
    for (let round = 0; round < 5; round++) {
      const { socket, replies } = await connectCollecting();
      socket.write(Buffer.concat(requests));
      const got = await replies(want.length);
      socket.destroy();
      expect(got.equals(want)).toBe(true);
    }
  });

  it('answers inline commands, with quotes, and ignores empty lines and *0 / *-1', async () => {
    const { text } = await exchangeUntilClose(server.port, '\r\nPING\r\n*0\r\n*-1\r\nECHO "a b"\r\nQUIT\r\n');
    expect(text).toBe('+PONG\r\n$3\r\na b\r\n+OK\r\n');
  });
});

describe('protocol errors: reply, then close', () => {
  it.each([
    ['*1\r\nx\r\n', "-ERR Protocol error: expected '$', got 'x'\r\n"],
    ['*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
    ['*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
    ['ECHO "unbalanced\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
    [`${'x'.repeat(70 * 1024)}`, '-ERR Protocol error: too big inline request\r\n'],
    ['*1\r\n$600000000\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
  ])('%j', async (request, reply) => {
    const { text, closed } = await exchangeUntilClose(server.port, `PING\r\n${request}`);
    expect(text).toBe(`+PONG\r\n${reply}`);
    expect(closed).toBe(true);
  });
});

describe("Redis's error texts", () => {
  it.each([
    [['FOO', 'a', 'b'], "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' "],
    [['foo'], "-ERR unknown command 'foo', with args beginning with: "],
    [['GET'], "-ERR wrong number of arguments for 'get' command"],
    [['CLIENT', 'x'], "-ERR unknown subcommand 'x'. Try CLIENT HELP."],
    [['CONFIG', 'nope'], "-ERR unknown subcommand 'nope'. Try CONFIG HELP."],
    [['CLIENT', 'SETNAME'], "-ERR wrong number of arguments for 'client|setname' command"],
    [['SELECT', '16'], '-ERR DB index is out of range'],
    [['SELECT', 'x'], '-ERR value is not an integer or out of range'],
    [['HELLO', '4'], '-NOPROTO unsupported protocol version'],
    [['HELLO', 'x'], '-ERR Protocol version is not an integer or out of range'],
    [['AUTH', 'pw'], '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?'],
    [['AUTH', 'someone', 'pw'], '-WRONGPASS invalid username-password pair or user is disabled.'],
    [['CLIENT', 'SETNAME', 'a b'], '-ERR Client names cannot contain spaces, newlines or special characters.'],
    [['CONFIG', 'SET', 'port', '1'], "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"],
    [['CONFIG', 'SET', 'nosuch', '1'], "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
    [['PING', 'a', 'b'], "-ERR wrong number of arguments for 'ping' command"],
  ])('%j -> %s', async (args, expected) => {
    expect(await one(args)).toBe(expected);
  });

  it('accepts AUTH default <anything> while no password is set, as Redis does', async () => {
    expect(await one(['AUTH', 'default', 'anything'])).toBe('+OK');
  });

  it('flags a MULTI on a rejected command so EXEC aborts', async () => {
    const client = await RawClient.connect(server.port);
    const replies = (await client.pipeline([['MULTI'], ['SET', 'm', '1'], ['GET'], ['EXEC'], ['GET', 'm']])).map(formatReply);
    client.close();
    expect(replies).toEqual(['+OK', '+QUEUED', "-ERR wrong number of arguments for 'get' command", '-EXECABORT Transaction discarded because of previous errors.', '$-1']);
  });
});

describe('CLIENT REPLY', () => {
  it('OFF silences replies until ON; SKIP silences the one command after it', async () => {
    const request = 'CLIENT REPLY OFF\r\nECHO a\r\nCLIENT REPLY ON\r\nECHO b\r\nCLIENT REPLY SKIP\r\nECHO c\r\nECHO d\r\nQUIT\r\n';
    const { text } = await exchangeUntilClose(server.port, request);
    expect(text).toBe('+OK\r\n$1\r\nb\r\n$1\r\nd\r\n+OK\r\n');
  });
});
