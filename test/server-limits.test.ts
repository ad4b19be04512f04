// test/server-limits.test.ts: the per-client bounds and admission limits: maxclients, the idle
// timeout, and backpressure: a client that pipelines far more than it reads makes the server pause
// reading from it (counted in INFO) instead of buffering without bound, while others are served.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, encodeCommand, formatReply } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: net.Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  return new Promise((resolve) => socket.on('close', () => resolve(text)));
}

async function infoField(port: number, name: string): Promise<number> {
  const client = await RawClient.connect(port);
  const reply = formatReply(await client.send(['INFO', 'all']));
  client.close();
  const match = new RegExp(`${name}:(\\d+)`).exec(JSON.parse(reply) as string);
  return Number(match?.[1] ?? NaN);
}

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

describe('maxclients and timeout', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--maxclients', '2', '--timeout', '1'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses the client past maxclients with Redis\'s error, then closes it', async () => {
    const first = await RawClient.connect(server.port);
    const second = await RawClient.connect(server.port);
    expect(formatReply(await first.send(['PING']))).toBe('+PONG');
    expect(formatReply(await second.send(['PING']))).toBe('+PONG');
    const third = await connect(server.port);
    expect(await closed(third)).toBe('-ERR max number of clients reached\r\n');
    first.close();
    second.close();
  });

  it('closes a client idle for longer than timeout seconds', async () => {
    let text = '';
    for (let attempt = 0; attempt < 50; attempt++) {
      // the clients of the test before may still hold both slots for a moment after closing
      const socket = await connect(server.port);
      const whenClosed = closed(socket);
      socket.write('PING\r\n');
      text = await whenClosed; // resolves only once the server closed the socket
      if (text !== '-ERR max number of clients reached\r\n') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(text).toBe('+PONG\r\n');
  });
});

describe('backpressure', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--appendfsync', 'no'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('pauses a client that does not read its replies, keeps memory bounded, and still serves others', async () => {
    const value = 'v'.repeat(10 * 1024); // copied into reply buffers (not shared by reference)
    const setup = await RawClient.connect(server.port);
    expect(formatReply(await setup.send(['SET', 'bp:k', value]))).toBe('+OK');
    setup.close();
    const eventsBefore = await infoField(server.port, 'tskv_backpressure_events');
    const rssBefore = residentBytes(server.pid);

    const requests = 40_000; // 400 MB of replies if the server buffered them all
    const flood = await connect(server.port);
    flood.pause(); // never read while the flood is going on
    const request = encodeCommand(['GET', 'bp:k']);
    flood.write(Buffer.concat(Array.from({ length: requests }, () => request)));

    let events = eventsBefore;
    for (let attempt = 0; attempt < 200 && events === eventsBefore; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      events = await infoField(server.port, 'tskv_backpressure_events');
    }
    expect(events).toBeGreaterThan(eventsBefore);
    const other = await RawClient.connect(server.port);
    expect(formatReply(await other.send(['PING']))).toBe('+PONG');
    other.close();
    expect(residentBytes(server.pid) - rssBefore).toBeLessThan(200 * 1024 * 1024);

    const expectedBytes = requests * (value.length + `$${value.length}\r\n\r\n`.length);
    let receivedBytes = 0;
    await new Promise<void>((resolve) => {
      flood.on('data', (chunk: Buffer) => {
        receivedBytes += chunk.length;
        if (receivedBytes >= expectedBytes) resolve();
      });
      flood.resume();
    });
    flood.destroy();
    expect(receivedBytes).toBe(expectedBytes);
  });

});

describe('pipeline depth', () => {
  let server: StartedServer;
  beforeAll(async () => {
    server = await startServer({ args: ['--appendfsync', 'always'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('caps commands waiting for their commit per client (pipelineDepthMax), then resumes', async () => {
    const before = await infoField(server.port, 'tskv_backpressure_events');
    const client = await RawClient.connect(server.port);
    const commands = Array.from({ length: 5000 }, (_, index) => ['SET', `bp:s:${index}`, 'x']);
    const replies = await client.pipeline(commands);
    client.close();
    expect(replies.every((reply) => formatReply(reply) === '+OK')).toBe(true);
    expect(await infoField(server.port, 'tskv_backpressure_events')).toBeGreaterThan(before);
  });
});
