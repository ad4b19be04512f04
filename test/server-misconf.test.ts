// test/server-misconf.test.ts: a write whose commit fails is answered with the MISCONF error
// instead of its reply, later writes are refused, reads go on, and INFO shows the failed state.
// The server runs in process over a CrashableFileSystem that fails the WAL fsync on demand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrashableFileSystem, Engine } from '../storage/index.js';
import { registerAllCommands } from '../src/commands/index.js';
import { defaultConfig } from '../src/ops/config.js';
import { Keyspace } from '../src/keyspace/keyspace.js';
import { Listener } from '../src/net/listener.js';
import { ServerState, type Logger } from '../src/dispatch/server-state.js';
import { RawClient, formatReply } from './helpers/raw-client.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const fs = new CrashableFileSystem();
let listener: Listener;
let port: number;

beforeAll(async () => {
  const engine = await Engine.open({ dir: '/db', fs, syncPolicy: 'always', logger: () => {} });
  registerAllCommands();
  const state = new ServerState({ config: { ...defaultConfig(), port: 0 }, engine, keyspace: await Keyspace.open(engine), logger: silent });
  listener = new Listener(state);
  [port] = (await listener.listen()) as [number];
});

afterAll(async () => {
  await listener?.close(Date.now() + 1000);
});

describe('a failed commit', () => {
  it('turns the reply into MISCONF, refuses later writes, keeps answering reads', async () => {
    const client = await RawClient.connect(port);
    expect(formatReply(await client.send(['SET', 'a', '1']))).toBe('+OK');
    fs.injectFault({ op: 'sync', code: 'EIO' });
    const replies = (await client.pipeline([['SET', 'b', '2'], ['GET', 'a'], ['SET', 'c', '3'], ['PING']])).map(formatReply);
    expect(replies[0]).toMatch(/^-MISCONF Errors writing to disk: .*EIO.*\. Commands that may modify the data set are disabled$/);
    expect(replies[1]).toBe('"1"');
    expect(replies[2]).toMatch(/^-MISCONF Errors writing to disk: /);
    expect(replies[3]).toBe('+PONG');
    const info = formatReply(await client.send(['INFO', 'persistence']));
    expect(info).toContain('aof_last_write_status:err');
    expect(info).toContain('tskv_engine_failed:1');
    client.close();
  });
});
