// src/commands/strings.test.ts: the string, key and expiry families in process, through dispatch,
// on a real Engine (CrashableFileSystem). These are the cases a client can't set up over the wire
// yet: keys of another type (written directly through the keyspace) and a tiny proto-max-bulk-len.
// Replies are compared as raw RESP2 bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../../storage/index.js';
import { RespWriter } from '../../protocol/index.js';
import { ClientState } from '../dispatch/client-state.js';
import type { CommandContext } from '../dispatch/command-table.js';
import { defaultConfig } from '../ops/config.js';
import { dispatch } from '../dispatch/dispatch.js';
import { KEY_TYPE, Keyspace } from '../keyspace/keyspace.js';
import { ServerState } from '../dispatch/server-state.js';
import { registerAllCommands } from './index.js';

const OTHER_TYPE = KEY_TYPE.hash; // a type no string command accepts
const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';

let engine: Engine;
let server: ServerState;
let client: ClientState;

beforeAll(async () => {
  engine = await Engine.open({ dir: '/db', fs: new CrashableFileSystem(), syncPolicy: 'always' });
  const keyspace = await Keyspace.open(engine);
  const quiet = () => undefined;
  server = new ServerState({ config: defaultConfig(), engine, keyspace, logger: { debug: quiet, info: quiet, warn: quiet, error: quiet } });
  const connection = { closeAfterReply: quiet, destroy: quiet, socketFd: () => -1, queryBufferBytes: () => 0, queryBufferFreeBytes: () => 0, replyBytesPending: () => 0, commandsPending: () => 0, sendOutOfBand: quiet, runUnblocked: quiet, handOver: quiet };
  client = new ClientState({ id: 1, address: '127.0.0.1:1', localAddress: '127.0.0.1:2', authenticated: true, nowMs: Date.now(), connection });
  registerAllCommands();
  keyspace.set(0, Buffer.from('series'), { type: OTHER_TYPE, encoding: 0, expireAtMs: 0, version: keyspace.newVersion(), count: 1, payload: Buffer.alloc(0) });
  await keyspace.commit();
});

afterAll(async () => {
  await engine.close();
});

/** Runs one command and returns its reply as RESP2 text. */
async function run(...words: string[]): Promise<string> {
  const out = new RespWriter(2);
  const ctx: CommandContext = { server, client, out };
  const { commit } = dispatch(ctx, words.map((word) => Buffer.from(word, 'latin1')));
  await commit;
  return out.take().toString('latin1');
}

describe('WRONGTYPE on a non-string key', () => {
  it.each([
    ['GET', 'series'], ['SET', 'series', 'v', 'GET'], ['GETSET', 'series', 'v'], ['GETDEL', 'series'], ['GETEX', 'series', 'PERSIST'],
    ['INCR', 'series'], ['DECRBY', 'series', '2'], ['INCRBYFLOAT', 'series', '1.5'], ['APPEND', 'series', 'x'], ['STRLEN', 'series'],
    ['GETRANGE', 'series', '0', '-1'], ['SETRANGE', 'series', '0', 'x'],
  ])('%s answers WRONGTYPE and changes nothing', async (...words) => {
    expect(await run(...words)).toBe(WRONGTYPE);
    expect(server.keyspace.get(0, Buffer.from('series'))?.type).toBe(OTHER_TYPE);
  });

  it('LCS refuses it with its own text', async () => {
    expect(await run('LCS', 'series', 'nokey')).toBe('-ERR The specified keys must contain string values\r\n');
  });

  it('MGET answers null for it instead of an error', async () => {
    await run('SET', 'plain', 'p');
    expect(await run('MGET', 'plain', 'series')).toBe('*2\r\n$1\r\np\r\n$-1\r\n');
  });

  it('SET without GET, DEL, EXISTS, RENAME, EXPIRE and TTL treat it as any key', async () => {
    expect(await run('EXISTS', 'series')).toBe(':1\r\n');
    expect(await run('TYPE', 'plain')).toBe('+string\r\n');
    expect(await run('EXPIRE', 'series', '100')).toBe(':1\r\n');
    expect(await run('TTL', 'series')).toBe(':100\r\n');
    expect(await run('RENAME', 'series', 'series2')).toBe('+OK\r\n');
    expect(server.keyspace.get(0, Buffer.from('series2'))?.type).toBe(OTHER_TYPE);
    expect(await run('RENAME', 'series2', 'series')).toBe('+OK\r\n');
  });
});

describe('proto-max-bulk-len', () => {
  it('refuses APPEND and SETRANGE past it with Redis text', async () => {
    const saved = server.config.protoMaxBulkLen;
    server.config.protoMaxBulkLen = 10;
    try {
      await run('SET', 'short', '12345678');
      const tooLong = '-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n';
      expect(await run('APPEND', 'short', '123')).toBe(tooLong);
      expect(await run('SETRANGE', 'short', '8', '123')).toBe(tooLong);
      expect(await run('SETRANGE', 'short', '8', '12')).toBe(':10\r\n');
    } finally {
      server.config.protoMaxBulkLen = saved;
    }
  });
});

describe('keyspace statistics', () => {
  it('counts hits and misses of read lookups only', async () => {
    const { keyspaceHits, keyspaceMisses } = server.stats;
    await run('GET', 'plain');
    await run('GET', 'nothing-here');
    await run('SET', 'nothing-here', 'x');
    expect(server.stats.keyspaceHits - keyspaceHits).toBe(1);
    expect(server.stats.keyspaceMisses - keyspaceMisses).toBe(1);
  });
});
