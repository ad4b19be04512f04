// test/timeseries-stream-fault.test.ts: a storage error met by a command fails that command
// alone: a read built in memory answers `-ERR Error reading from disk: ...` and the connection
// goes on (dispatch.ts); so does a streamed TS.RANGE / TS.MRANGE reply (commands/timeseries-stream.ts)
// that meets it before any byte of the reply was sent, while one that meets it after (half a reply
// is out, RESP cannot take it back) closes that client. Either way the server keeps answering,
// streams and engine snapshots are released, and undamaged data still reads back. The damage is
// real: after a full compaction and a clean stop, bytes in the middle of the SSTable that holds the
// series' chunks are flipped, so the restarted server's block read fails its checksum
// (SstableCorruptionError, a StorageError) in the stream's counting pass, after the reply has
// begun streaming (the part past the first 65,536 samples).
// Size: 200,000 samples (past limits.replyStreamSamplesMin, so the reply streams); a second series
// of 10,000 samples (over HELD_REPLY_BYTES_MAX of reply), written after the restart, sorts before it.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HELD_REPLY_BYTES_MAX } from '../src/commands/timeseries-stream.js';
import { limits } from '../src/ops/config.js';
import { encodeCommand } from './helpers/raw-client.js';
import { startServer, type StartedServer } from './helpers/server.js';

const SAMPLES = 200_000;
const WINDOW_SAMPLES = 10_000; // a range this long is built in memory, not streamed
const MADD_SAMPLES = 2_000;
const WHOLE_SAMPLES = 10_000; // undamaged, sorts before 'damaged': its reply part is over HELD_REPLY_BYTES_MAX
const T0 = 1_600_000_000_000;
const POLL_COUNT_MAX = 200; // 20 s at POLL_MS
const POLL_MS = 100;
const READ_TIMEOUT_MS = 20_000;
const DAMAGE_AT = 0.6; // of the table's length: inside its data blocks, before the index and filter
const DAMAGE_BYTES = 64;

let server: StartedServer;
let redis: Redis;

async function infoFields(section: string): Promise<Record<string, string>> {
  const text = await redis.info(section);
  return Object.fromEntries(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

async function fill(key: string): Promise<void> {
  await redis.call('TS.CREATE', key, 'LABELS', 'group', 'fault');
  const pipeline = redis.pipeline();
  for (let start = 0; start < SAMPLES; start += MADD_SAMPLES) {
    const args: (string | number)[] = [];
    for (let index = start; index < start + MADD_SAMPLES; index++) args.push(key, T0 + index * 10, index % 1000);
    pipeline.call('TS.MADD', ...args);
  }
  const results = (await pipeline.exec()) ?? [];
  expect(results.filter(([error]) => error !== null)).toEqual([]);
}

/** DEBUG COMPACT (seals every series, merges every table into the last level) and its end. */
async function compactAndWait(): Promise<void> {
  const before = Number((await infoFields('tskv')).compactions_total);
  expect(await redis.call('DEBUG', 'COMPACT')).toBe('Background compaction started');
  for (let poll = 0; poll < POLL_COUNT_MAX; poll++) {
    if (Number((await infoFields('tskv')).compactions_total) > before && (await infoFields('persistence')).tskv_compaction_in_progress === '0') return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error('DEBUG COMPACT did not finish within 20 s');
}

function tableFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.sst')) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

/** Sends one command on a fresh socket; resolves with every byte received until the server closes it. */
async function readUntilClosed(command: string[]): Promise<{ bytes: number; closedByServer: boolean }> {
  const socket = net.connect(server.port, '127.0.0.1');
  let bytes = 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ bytes, closedByServer: false });
    }, READ_TIMEOUT_MS);
    socket.on('connect', () => socket.write(encodeCommand(command)));
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, closedByServer: true });
    });
  });
}

beforeAll(async () => {
  server = await startServer({ args: ['--appendfsync', 'no'] });
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  await fill('damaged');
  await compactAndWait();
  await redis.call('TS.ADD', 'fresh', T0, 1); // written after the compaction: lives in the WAL and memtable
  redis.disconnect();
  await server.stop();
  const tables = tableFiles(server.dir).sort((a, b) => statSync(b).size - statSync(a).size);
  expect(tables.length).toBeGreaterThan(0);
  const largest = tables[0]!;
  const bytes = readFileSync(largest);
  const at = Math.floor(bytes.length * DAMAGE_AT);
  for (let index = at; index < at + DAMAGE_BYTES; index++) bytes[index] = bytes[index]! ^ 0xff;
  writeFileSync(largest, bytes);
  await server.restart();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  await redis.call('TS.CREATE', 'a-whole', 'LABELS', 'group', 'fault', 'whole', '1');
  const args: (string | number)[] = [];
  for (let index = 0; index < WHOLE_SAMPLES; index++) args.push('a-whole', T0 + index * 10, index % 1000);
  await redis.call('TS.MADD', ...args);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** The first sample index of each window of WINDOW_SAMPLES whose TS.RANGE fails (each built in memory). */
async function damagedWindows(): Promise<{ first: number; error: string }[]> {
  const damaged: { first: number; error: string }[] = [];
  for (let first = 0; first < SAMPLES; first += WINDOW_SAMPLES) {
    const from = T0 + first * 10;
    const to = from + (WINDOW_SAMPLES - 1) * 10;
    try {
      const reply = (await redis.call('TS.RANGE', 'damaged', from, to)) as unknown[];
      expect(reply.length).toBe(WINDOW_SAMPLES);
    } catch (error) {
      damaged.push({ first, error: (error as Error).message });
    }
  }
  return damaged;
}

test('a read that meets a damaged block answers an error; the connection and the server go on', async () => {
  const errorsBefore = Number((await infoFields('stats')).tskv_storage_read_errors);
  const damaged = await damagedWindows();
  expect(damaged.length).toBeGreaterThan(0);
  expect(damaged.length).toBeLessThan(SAMPLES / WINDOW_SAMPLES / 2); // 64 bytes damage a block or two
  expect(damaged[0]!.error).toMatch(/^ERR Error reading from disk: SSTable .* is corrupt at byte \d+: block crc mismatch/);
  expect(damaged[0]!.first * 10).toBeGreaterThan(limits.replyStreamSamplesMin * 10); // what the streamed test needs
  expect(Number((await infoFields('stats')).tskv_storage_read_errors)).toBe(errorsBefore + damaged.length);
  expect(await redis.ping()).toBe('PONG'); // the same connection
  expect(Number((await infoFields('stats')).tskv_open_snapshots)).toBe(0); // the failed reads released their pins
  expect(await redis.call('TS.RANGE', 'fresh', '-', '+')).toEqual([[T0, '1']]);
  expect(server.output()).toContain('a command failed on a storage error');
}, 60_000);

/** Sends one command on a fresh socket, then PING; resolves with what arrived once PONG did (or the server closed). */
async function replyThenPing(command: string[]): Promise<{ text: string; closedByServer: boolean }> {
  const socket = net.connect(server.port, '127.0.0.1');
  let text = '';
  return new Promise((resolve) => {
    const finish = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), READ_TIMEOUT_MS);
    socket.on('connect', () => socket.write(Buffer.concat([encodeCommand(command), encodeCommand(['PING'])])));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.endsWith('+PONG\r\n')) finish(false);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

async function expectStreamsReleased(streamsBefore: number): Promise<void> {
  const stats = await infoFields('stats');
  expect(Number(stats.tskv_reply_streams)).toBe(streamsBefore + 1);
  expect(Number(stats.tskv_reply_streams_active)).toBe(0);
  expect(Number(stats.tskv_open_snapshots)).toBe(0);
  expect(await redis.call('TS.RANGE', 'fresh', '-', '+')).toEqual([[T0, '1']]);
}

test.each([
  ['TS.RANGE', ['TS.RANGE', 'damaged', '-', '+']],
  ['TS.MRANGE (its heads are held)', ['TS.MRANGE', '-', '+', 'FILTER', 'group=fault', 'whole=']], // 'damaged' alone
])('a streamed %s that meets a damaged block before any byte was sent answers an error; the connection goes on', async (_name, command) => {
  expect(SAMPLES).toBeGreaterThan(limits.replyStreamSamplesMin);
  const before = await infoFields('stats');
  const { text, closedByServer } = await replyThenPing(command);
  expect(closedByServer).toBe(false);
  expect(text).toMatch(/^-ERR Error reading from disk: SSTable .* is corrupt at byte \d+: block crc mismatch[^\r]*\r\n\+PONG\r\n$/);
  expect(Number((await infoFields('stats')).tskv_storage_read_errors)).toBe(Number(before.tskv_storage_read_errors) + 1);
  await expectStreamsReleased(Number(before.tskv_reply_streams));
  expect(server.output()).toContain('a streamed reply failed before its first byte was sent');
}, 60_000);

test('a streamed TS.MRANGE that meets a damaged block after part of the reply was sent closes that client', async () => {
  const streamsBefore = Number((await infoFields('stats')).tskv_reply_streams);
  // 'a-whole' comes first: its part of the reply (over HELD_REPLY_BYTES_MAX) is handed to the
  // connection before 'damaged' is counted (the connection may drop it unsent when it closes)
  expect(WHOLE_SAMPLES * 24).toBeGreaterThan(HELD_REPLY_BYTES_MAX); // a RESP2 sample is 24 bytes or more
  expect(server.output()).not.toContain('closing a client whose streamed reply failed');
  const { closedByServer } = await readUntilClosed(['TS.MRANGE', '-', '+', 'FILTER', 'group=fault']);
  expect(closedByServer).toBe(true); // a reply that has begun streaming cannot turn into an error
  expect(await redis.ping()).toBe('PONG');
  await expectStreamsReleased(streamsBefore);
  expect(server.output()).toContain('closing a client whose streamed reply failed');
}, 60_000);
