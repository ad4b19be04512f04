// src/net/socket-reader.test.ts: reads into our own buffers on a real loopback socket: a buffer is
// reused only while the sink holds none of its bytes, bytes it holds are never overwritten, and
// the fast path is the one taken on this Node (so a silent fall-back to 'data' events is noticed).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readInto, userBufferReadsSupported } from './socket-reader.js';

interface Pair {
  server: net.Server;
  client: net.Socket;
  accepted: Promise<net.Socket>;
  sockets: net.Socket[]; // server side, destroyed after the test
}

const pairs: Pair[] = [];

async function connectPair(): Promise<Pair> {
  let resolveAccepted!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (resolveAccepted = resolve));
  const server = net.createServer({ pauseOnConnect: true }, resolveAccepted);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const client = net.connect(address.port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  const pair: Pair = { server, client, accepted, sockets: [] };
  void accepted.then((socket) => pair.sockets.push(socket));
  pairs.push(pair);
  return pair;
}

afterEach(async () => {
  for (const pair of pairs.splice(0)) {
    pair.client.destroy();
    for (const socket of pair.sockets) socket.destroy();
    await new Promise((resolve) => pair.server.close(resolve));
  }
});

/** readInto on the pair's accepted socket; the socket it returns is destroyed after the test. */
async function adopt(pair: Pair, sink: (chunk: Buffer) => boolean): Promise<net.Socket> {
  const socket = readInto(await pair.accepted, sink);
  pair.sockets.push(socket);
  return socket;
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('readInto', () => {
  it('reads accepted sockets into user buffers on this Node', async () => {
    const { accepted } = await connectPair();
    expect(userBufferReadsSupported(await accepted)).toBe(true);
  });

  it('reuses one buffer while nothing is held, and never overwrites bytes the sink holds', async () => {
    const pair = await connectPair();
    const { client, accepted, server } = pair;
    const seen: Buffer[] = []; // views: a reused buffer's bytes change under them
    const texts: string[] = [];
    const held: { view: Buffer; copy: Buffer }[] = [];
    const socket = await adopt(pair, (chunk) => {
      seen.push(chunk);
      texts.push(chunk.toString());
      const hold = chunk[0] === 0x48; // 'H': keep a view of this read
      if (hold) held.push({ view: chunk, copy: Buffer.from(chunk) });
      return hold;
    });
    expect(socket).not.toBe(await accepted); // re-wrapped to read into our buffer
    const messages = ['a1', 'b2', 'H3', 'c4', 'H5', 'd6', 'e7'];
    for (const message of messages) {
      client.write(message);
      await waitFor(() => seen.length === messages.indexOf(message) + 1);
    }
    expect(texts).toEqual(messages);
    const arrays = seen.map((chunk) => chunk.buffer);
    expect(arrays[1]).toBe(arrays[0]); // nothing held: the same memory again
    expect(arrays[2]).toBe(arrays[1]);
    expect(arrays[3]).not.toBe(arrays[2]); // 'H3' held: the next read goes elsewhere
    expect(arrays[4]).toBe(arrays[3]);
    expect(arrays[5]).not.toBe(arrays[4]);
    expect(arrays[6]).toBe(arrays[5]);
    for (const { view, copy } of held) expect(view.equals(copy)).toBe(true);
    // the server still counts the connection, and stops counting it when it closes
    const count = (): Promise<number> => new Promise((resolve) => server.getConnections((_error, value) => resolve(value)));
    expect(await count()).toBe(1);
    socket.destroy();
    await waitFor(() => socket.destroyed);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await count()).toBe(0);
  });

  it('stops reading while paused and delivers what came meanwhile after resume', async () => {
    const pair = await connectPair();
    const { client } = pair;
    let received = '';
    const socket = await adopt(pair, (chunk) => {
      received += chunk.toString();
      return false;
    });
    client.write('first');
    await waitFor(() => received === 'first');
    socket.pause();
    client.write('second');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toBe('first');
    socket.resume();
    await waitFor(() => received === 'firstsecond');
  });

  it('sees the end of the stream as an end, and can still write before closing', async () => {
    const pair = await connectPair();
    const socket = await adopt(pair, () => false);
    const { client } = pair;
    let ended = false;
    let closed = false;
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('end', () => (ended = true));
    socket.on('close', () => (closed = true));
    client.end();
    await waitFor(() => ended);
    expect(closed).toBe(false);
    socket.end('reply after the FIN');
    await waitFor(() => closed);
    await waitFor(() => received === 'reply after the FIN');
  });
});
