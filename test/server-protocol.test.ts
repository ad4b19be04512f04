// test/server-protocol.test.ts: the server's front end seen from a raw socket: pipelining and
// order, inline requests, protocol errors (reply, then close), and Redis's error texts word for word.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand, formatReply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

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
