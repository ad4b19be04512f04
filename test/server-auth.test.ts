// test/server-auth.test.ts: --requirepass as Redis enforces it: NOAUTH before AUTH, WRONGPASS,
// HELLO AUTH, the tighter reader limits for unauthenticated clients, RESET deauthenticating, and
// clients (ioredis, node-redis, redis-cli -a) logging in.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand, formatReply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

const run = promisify(execFile);
const PASSWORD = 's3cret';
let server: StartedServer;

beforeAll(async () => {
  server = await startServer({ args: ['--requirepass', PASSWORD] });
});

afterAll(async () => {
  await server?.stop();
});

async function session(commands: string[][]): Promise<string[]> {
  const client = await RawClient.connect(server.port);
  try {
    return (await client.pipeline(commands)).map(formatReply);
  } finally {
    client.close();
  }
}

function untilClose(bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let text = '';
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
  });
}

describe('requirepass', () => {
  it('answers NOAUTH before AUTH, except to AUTH, HELLO, QUIT and RESET', async () => {
    expect(await session([['GET', 'k'], ['PING'], ['NOSUCH'], ['GET']])).toEqual([
      '-NOAUTH Authentication required.',
      '-NOAUTH Authentication required.',
      "-ERR unknown command 'NOSUCH', with args beginning with: ",
      "-ERR wrong number of arguments for 'get' command",
    ]);
  });

  it('answers WRONGPASS to a bad password and OK to the right one', async () => {
    expect(await session([['AUTH', 'nope'], ['AUTH', 'default', 'nope'], ['AUTH', PASSWORD], ['PING'], ['AUTH', 'default', PASSWORD]])).toEqual([
      '-WRONGPASS invalid username-password pair or user is disabled.',
      '-WRONGPASS invalid username-password pair or user is disabled.',
      '+OK',
      '+PONG',
      '+OK',
    ]);
  });

  it('refuses HELLO without AUTH and accepts HELLO 3 AUTH default <password>', async () => {
    const replies = await session([['HELLO', '3'], ['HELLO', '3', 'AUTH', 'default', PASSWORD, 'SETNAME', 'h'], ['CLIENT', 'GETNAME']]);
    expect(replies[0]).toBe(
      '-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    expect(replies[1]).toContain('"proto": :3');
    expect(replies[2]).toBe('"h"');
  });

  it('deauthenticates on RESET', async () => {
    expect(await session([['AUTH', PASSWORD], ['RESET'], ['PING']])).toEqual(['+OK', '+RESET', '-NOAUTH Authentication required.']);
  });

  it('applies the unauthenticated reader limits until AUTH (10 arguments, 16 KiB bulks)', async () => {
    const many = encodeCommand(['DEL', ...Array.from({ length: 11 }, (_, index) => `k${index}`)]);
    expect(await untilClose(many)).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    const big = encodeCommand(['AUTH', 'x'.repeat(16 * 1024 + 1)]);
    expect(await untilClose(big)).toBe('-ERR Protocol error: unauthenticated bulk length\r\n');
    const client = await RawClient.connect(server.port);
    expect(formatReply(await client.send(['AUTH', PASSWORD]))).toBe('+OK');
    expect(formatReply(await client.send(['DEL', ...Array.from({ length: 20 }, (_, index) => `k${index}`)]))).toBe(':0');
    expect(formatReply(await client.send(['ECHO', 'y'.repeat(100_000)]))).toHaveLength(100_002);
    client.close();
  });

  it('lets ioredis, node-redis and redis-cli -a log in', async () => {
    const io = new Redis({ port: server.port, host: '127.0.0.1', password: PASSWORD, lazyConnect: true });
    await io.connect();
    expect(await io.set('auth:k', 'v')).toBe('OK');
    io.disconnect();
    const nodeRedis = createClient({ url: `redis://:${PASSWORD}@127.0.0.1:${server.port}` });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
    expect(await nodeRedis.get('auth:k')).toBe('v');
    await nodeRedis.quit();
    const { stdout } = await run('redis-cli', ['-p', String(server.port), '-a', PASSWORD, '--no-auth-warning', 'GET', 'auth:k']);
    expect(stdout).toBe('v\n');
  });
});
