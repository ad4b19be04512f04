// test/timeseries-stream.test.ts: TS.RANGE / TS.REVRANGE / TS.MRANGE / TS.MREVRANGE replies past
// limits.replyStreamSamplesMin are streamed (dispatch/reply-stream.ts): they arrive whole and
// byte-identical to the in-memory reply (computed here with src/types/timeseries/reply.ts's
// writers), in RESP2 and RESP3, through raw sockets, ioredis and node-redis; a client that does
// not read holds at most about limits.replyStreamBytesPendingMax of reply on the server while
// others are served; writes made while a reply streams are not in it; a pipelined PING comes
// after it; a client that goes away mid-stream (disconnect, CLIENT KILL) releases its snapshot.
// Sizes: 200,000 samples per series (~6 MB a reply in RESP2, past the 4 MiB bound and the 65,536
// sample threshold); the slow reader reads 2,000,001 EMPTY buckets of two stored samples (~35 MB).
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RespWriter } from '../protocol/index.js';
import { limits } from '../src/ops/config.js';
import { writeMRange, writeSamples } from '../src/types/timeseries/reply.js';
import type { Sample } from '../src/types/timeseries/sample.js';
import { encodeCommand } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

const SAMPLES = 200_000;
const T0 = 1_600_000_000_000;
const STEP_MS = 10;
const SPARSE_LAST = 2_000_000; // 'sparse' holds samples at 0 and here: EMPTY count buckets of 1 ms fill the rest
const MADD_SAMPLES = 2_000;
const PONG = Buffer.from('+PONG\r\n');
const READ_TIMEOUT_MS = 30_000;

let server: StartedServer;
let redis: Redis;

const valueA = (index: number) => index % 1000;
const valueB = (index: number) => (index * 7) % 1000;
const seriesA: Sample[] = Array.from({ length: SAMPLES }, (_, index) => ({ ts: T0 + index * STEP_MS, value: valueA(index) }));
const seriesB: Sample[] = Array.from({ length: SAMPLES }, (_, index) => ({ ts: T0 + index * STEP_MS, value: valueB(index) }));

async function info(): Promise<Record<string, string>> {
  const text = await redis.info('stats');
  return Object.fromEntries(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

/** What the in-memory path writes for these samples (the reference a streamed reply must equal). */
function samplesReply(samples: readonly Sample[], protocol: 2 | 3): Buffer {
  const writer = new RespWriter(protocol);
  writeSamples(writer, samples);
  return writer.take();
}

/**
 * A raw client: sends commands (after HELLO 3 for RESP3), collects bytes until at least `length`
 * arrived and they end with PONG (the last command is a PING); returns them without HELLO's reply.
 */
async function rawReply(commands: string[][], length: number, protocol: 2 | 3 = 2): Promise<Buffer> {
  const socket = net.connect(server.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let received = 0;
  const hello = protocol === 3 ? [['HELLO', '3']] : [];
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`read ${received} of ${length} bytes`));
    }, READ_TIMEOUT_MS);
    socket.on('connect', () => socket.write(Buffer.concat([...hello, ...commands].map((command) => encodeCommand(command)))));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length && chunk.subarray(-PONG.length).equals(PONG)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
  });
  if (protocol === 2) return bytes;
  expect(bytes[0]).toBe(0x25); // HELLO's map
  expect(bytes.length - length).toBeLessThan(1024);
  return bytes.subarray(bytes.length - length);
}

async function fill(key: string, label: string, samples: readonly Sample[]): Promise<void> {
  await redis.call('TS.CREATE', key, 'LABELS', 'kind', 'stream', 'name', label);
  const pipeline = redis.pipeline();
  for (let start = 0; start < samples.length; start += MADD_SAMPLES) {
    const args: (string | number)[] = [];
    for (const sample of samples.slice(start, start + MADD_SAMPLES)) args.push(key, sample.ts, sample.value);
    pipeline.call('TS.MADD', ...args);
  }
  const results = (await pipeline.exec()) ?? [];
  expect(results.filter(([error]) => error !== null)).toEqual([]);
}

/** Polls until check() holds (at most 100 tries, 10 s). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('condition not reached in 10 s');
}

beforeAll(async () => {
  server = await startServer({ args: ['--appendfsync', 'no'] });
  redis = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: false });
  await fill('big:a', 'a', seriesA);
  await fill('big:b', 'b', seriesB);
  await redis.call('TS.ADD', 'sparse', 0, 1);
  await redis.call('TS.ADD', 'sparse', SPARSE_LAST, 1);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('streamed TS range replies', () => {
  test('the bound and threshold this file relies on', () => {
    expect(SAMPLES).toBeGreaterThan(limits.replyStreamSamplesMin);
    expect(samplesReply(seriesA, 2).length).toBeGreaterThan(limits.replyStreamBytesPendingMax);
  });

  test('TS.RANGE and TS.REVRANGE arrive byte-identical to the in-memory reply, a pipelined PING after them (RESP2, RESP3)', async () => {
    const before = Number((await info()).tskv_reply_streams);
    expect(before).toBeGreaterThanOrEqual(0);
    for (const protocol of [2, 3] as const) {
      const forward = samplesReply(seriesA, protocol);
      const got = await rawReply([['TS.RANGE', 'big:a', '-', '+'], ['PING']], forward.length + PONG.length, protocol);
      expect(got.length).toBe(forward.length + PONG.length);
      expect(got.equals(Buffer.concat([forward, PONG]))).toBe(true);
      const backward = samplesReply([...seriesA].reverse(), protocol);
      const gotBack = await rawReply([['TS.REVRANGE', 'big:a', '-', '+'], ['PING']], backward.length + PONG.length, protocol);
      expect(gotBack.equals(Buffer.concat([backward, PONG]))).toBe(true);
    }
    expect(Number((await info()).tskv_reply_streams)).toBe(before + 4); // streamed, not built in memory
  }, 60_000);

  test('COUNT, AGGREGATION and FILTER_BY_VALUE ranges stream byte-identical to the in-memory reply', async () => {
    const before = Number((await info()).tskv_reply_streams);
    expect(before).toBeGreaterThanOrEqual(0);
    const buckets: Sample[] = []; // max over 20 ms buckets: samples 2k and 2k + 1, the second the larger
    for (let index = 0; index < SAMPLES; index += 2) buckets.push({ ts: T0 + index * STEP_MS, value: valueA(index + 1) });
    const cases: [string[], Sample[]][] = [
      [['TS.RANGE', 'big:a', '-', '+', 'COUNT', '100000'], seriesA.slice(0, 100_000)],
      [['TS.REVRANGE', 'big:a', '-', '+', 'COUNT', '100000'], [...seriesA].reverse().slice(0, 100_000)],
      [['TS.REVRANGE', 'big:a', '-', '+', 'AGGREGATION', 'max', '20'], [...buckets].reverse()],
      [['TS.RANGE', 'big:a', '-', '+', 'FILTER_BY_VALUE', '0', '499'], seriesA.filter((sample) => sample.value <= 499)],
    ];
    for (const [command, samples] of cases) {
      const expected = samplesReply(samples, 2);
      const got = await rawReply([command, ['PING']], expected.length + PONG.length);
      expect(got.equals(Buffer.concat([expected, PONG]))).toBe(true);
    }
    expect(Number((await info()).tskv_reply_streams)).toBe(before + cases.length);
  }, 60_000);

  test('TS.MRANGE and TS.MREVRANGE WITHLABELS arrive byte-identical to the in-memory reply', async () => {
    for (const protocol of [2, 3] as const) {
      for (const reverse of [false, true]) {
        const writer = new RespWriter(protocol);
        const order = (samples: Sample[]) => (reverse ? [...samples].reverse() : samples);
        writeMRange(writer, [
          { key: Buffer.from('big:a'), labels: [['kind', 'stream'], ['name', 'a']], samples: order(seriesA) },
          { key: Buffer.from('big:b'), labels: [['kind', 'stream'], ['name', 'b']], samples: order(seriesB) },
        ], { withLabels: true, selectedLabels: undefined }, undefined);
        const expected = writer.take();
        const got = await rawReply([[reverse ? 'TS.MREVRANGE' : 'TS.MRANGE', '-', '+', 'WITHLABELS', 'FILTER', 'kind=stream'], ['PING']], expected.length + PONG.length, protocol);
        expect(got.equals(Buffer.concat([expected, PONG]))).toBe(true);
      }
    }
  }, 60_000);

  test('ioredis: the streamed range equals its COUNT pieces (each built in memory); a streamed GROUPBY equals the computed reduction', async () => {
    const whole = (await redis.call('TS.RANGE', 'big:b', '-', '+')) as [number, string][];
    const pieces: [number, string][] = [];
    let from = 0;
    for (let piece = 0; piece < 10 && pieces.length < SAMPLES; piece++) { // bounded: 4 pieces of 50,000
      const part = (await redis.call('TS.RANGE', 'big:b', from, '+', 'COUNT', 50_000)) as [number, string][];
      pieces.push(...part);
      from = part[part.length - 1]![0] + 1;
    }
    expect(whole.length).toBe(SAMPLES);
    expect(whole).toEqual(pieces);
    // ioredis 6 says HELLO 3: the RESP3 map of groups comes flattened, [name, [labels, reducers, sources, samples]]
    const grouped = (await redis.call('TS.MRANGE', '-', '+', 'FILTER', 'kind=stream', 'GROUPBY', 'kind', 'REDUCE', 'max')) as unknown[];
    expect(grouped.length).toBe(2);
    expect(grouped[0]).toBe('kind=stream');
    const body = grouped[1] as unknown[];
    const reduced = body[body.length - 1] as [number, string][];
    expect(reduced.length).toBe(SAMPLES);
    for (let index = 0; index < SAMPLES; index += 997) expect(reduced[index]).toEqual([seriesA[index]!.ts, String(Math.max(valueA(index), valueB(index)))]);
  }, 60_000);

  test('node-redis RESP3: the streamed TS.REVRANGE equals its COUNT pieces', async () => {
    const client = createClient({ RESP: 3, socket: { host: '127.0.0.1', port: server.port } });
    await client.connect();
    try {
      const whole = (await client.sendCommand(['TS.REVRANGE', 'big:a', '-', '+'])) as [number, number][];
      const pieces: [number, number][] = [];
      let to = Number.MAX_SAFE_INTEGER;
      for (let piece = 0; piece < 10 && pieces.length < SAMPLES; piece++) {
        const part = (await client.sendCommand(['TS.REVRANGE', 'big:a', '-', String(to), 'COUNT', '50000'])) as [number, number][];
        pieces.push(...part);
        to = part[part.length - 1]![0] - 1;
      }
      expect(whole.length).toBe(SAMPLES);
      expect(whole).toEqual(pieces);
      expect(whole[0]).toEqual([seriesA[SAMPLES - 1]!.ts, valueA(SAMPLES - 1)]);
    } finally {
      await client.quit();
    }
  }, 60_000);

  test('a client that does not read holds at most the bound while others are served; writes made meanwhile are not in its reply', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // reads nothing until told
    const nameReply = new Promise((resolve) => socket.once('data', resolve));
    socket.write(encodeCommand(['CLIENT', 'SETNAME', 'slow']));
    socket.resume();
    await nameReply;
    socket.pause();
    socket.write(Buffer.concat([encodeCommand(['TS.RANGE', 'sparse', '0', String(SPARSE_LAST), 'AGGREGATION', 'count', '1', 'EMPTY']), encodeCommand(['PING'])]));
    await eventually(async () => Number((await info()).tskv_reply_streams_active) === 1);
    // the write lands while the reply streams: the reply must show count 0 there
    expect(await redis.call('TS.ADD', 'sparse', SPARSE_LAST / 2, 7)).toBe(SPARSE_LAST / 2);
    let highest = 0;
    for (let sample = 0; sample < 15; sample++) { // ~1.5 s of samples of the slow client's output on the server
      const line = ((await redis.call('CLIENT', 'LIST')) as string).split('\n').find((entry) => entry.includes(' name=slow '));
      const omem = Number(/ omem=(\d+)/.exec(line ?? '')?.[1] ?? NaN);
      highest = Math.max(highest, omem);
      expect(await redis.call('PING')).toBe('PONG'); // others are served
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(Number((await info()).tskv_reply_streams_active)).toBe(1); // still waiting for the reader
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(limits.replyStreamBytesPendingMax + 1024 * 1024); // the bound plus part-sized slack
    // now read it all
    const buckets: Sample[] = [];
    for (let ts = 0; ts <= SPARSE_LAST; ts++) buckets.push({ ts, value: ts === 0 || ts === SPARSE_LAST ? 1 : 0 });
    const expected = Buffer.concat([samplesReply(buckets, 2), PONG]);
    const chunks: Buffer[] = [];
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${received} of ${expected.length} bytes`)), READ_TIMEOUT_MS);
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= expected.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.resume();
    });
    socket.destroy();
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
    expect(await redis.call('TS.RANGE', 'sparse', SPARSE_LAST / 2, SPARSE_LAST / 2)).toEqual([[SPARSE_LAST / 2, '7']]); // the write itself stood
    await redis.call('TS.DEL', 'sparse', SPARSE_LAST / 2, SPARSE_LAST / 2);
  }, 90_000);

  test('a client gone mid-stream (disconnect, CLIENT KILL) stops the work and releases its snapshot', async () => {
    const aborted = Number((await info()).tskv_reply_streams_aborted);
    for (const how of ['disconnect', 'kill'] as const) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(Buffer.concat([encodeCommand(['CLIENT', 'SETNAME', `gone-${how}`]), encodeCommand(['TS.RANGE', 'sparse', '0', String(SPARSE_LAST), 'AGGREGATION', 'count', '1', 'EMPTY'])]));
      await eventually(async () => Number((await info()).tskv_reply_streams_active) === 1);
      expect(Number((await info()).tskv_open_snapshots)).toBeGreaterThanOrEqual(1);
      if (how === 'disconnect') socket.destroy();
      else {
        const line = ((await redis.call('CLIENT', 'LIST')) as string).split('\n').find((entry) => entry.includes(` name=gone-${how} `));
        const id = /^id=(\d+)/.exec(line ?? '')?.[1];
        expect(await redis.call('CLIENT', 'KILL', 'ID', id ?? '0')).toBe(1);
      }
      await eventually(async () => {
        const fields = await info();
        return Number(fields.tskv_reply_streams_active) === 0 && Number(fields.tskv_open_snapshots) === 0;
      });
      socket.destroy();
    }
    expect(Number((await info()).tskv_reply_streams_aborted)).toBe(aborted + 2);
    expect(await redis.call('TS.RANGE', 'sparse', 0, 0)).toEqual([[0, '1']]);
  }, 60_000);

  test('client-output-buffer-limit normal closes a client whose streamed reply piles up past it', async () => {
    const closedBefore = Number((await info()).client_output_buffer_limit_disconnections);
    expect(await redis.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 1mb 0 0')).toBe('OK');
    try {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause(); // never reads: the server's pending output passes 1 MB
      socket.write(encodeCommand(['TS.RANGE', 'sparse', '0', String(SPARSE_LAST), 'AGGREGATION', 'count', '1', 'EMPTY']));
      await eventually(async () => Number((await info()).client_output_buffer_limit_disconnections) === closedBefore + 1);
      await eventually(async () => {
        const fields = await info();
        return Number(fields.tskv_open_snapshots) === 0 && Number(fields.tskv_reply_streams_active) === 0;
      });
      socket.destroy();
    } finally {
      await redis.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
    }
  }, 60_000);

  test('inside MULTI/EXEC the range is built in memory (bounded by the old refusal), not streamed', async () => {
    const before = Number((await info()).tskv_reply_streams);
    expect(before).toBeGreaterThanOrEqual(0);
    const result = (await redis.multi().call('TS.RANGE', 'big:a', '-', '+').exec()) ?? [];
    expect(result[0]![0]).toBe(null);
    const samples = result[0]![1] as [number, string][];
    expect(samples.length).toBe(SAMPLES);
    expect(samples[SAMPLES - 1]).toEqual([seriesA[SAMPLES - 1]!.ts, String(valueA(SAMPLES - 1))]);
    expect(Number((await info()).tskv_reply_streams)).toBe(before);
  }, 60_000);

  test('ranges cut short (COUNT, twa neighbours) and TS.INFO leave no engine snapshot open', async () => {
    await redis.call('TS.RANGE', 'big:a', '-', '+', 'COUNT', 10);
    await redis.call('TS.REVRANGE', 'big:a', '-', '+', 'COUNT', 10);
    await redis.call('TS.RANGE', 'big:a', T0 + 1000, T0 + 5000, 'AGGREGATION', 'twa', 100);
    await redis.call('TS.INFO', 'big:a');
    expect(Number((await info()).tskv_open_snapshots)).toBe(0);
  });
});
