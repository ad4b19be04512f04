// test/redis-cli.test.ts: redis-cli's key walkers run to completion against tskv.
// redis-cli --scan sends `SCAN <cursor> [MATCH p]` and parses the cursor with strtoull;
// --bigkeys sends DBSIZE, then SCAN pages, each followed by pipelined TYPE and STRLEN per key.
// Skipped, with the reason printed, when redis-cli is not installed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/server.js';
import { hasBinary } from './helpers/real-redis.js';
import { RawClient, formatReply } from './helpers/raw-client.js';

const run = promisify(execFile);
const skipReason = hasBinary('redis-cli') ? undefined : 'redis-cli is not installed (apt-get install redis-tools)';
if (skipReason !== undefined) console.warn(`redis-cli test skipped: ${skipReason}`);

const USER_KEYS = 1500;

describe.skipIf(skipReason !== undefined)('redis-cli against tskv', () => {
  let server: StartedServer;

  beforeAll(async () => {
    server = await startServer();
    const client = await RawClient.connect(server.port);
    const commands: string[][] = [];
    for (let start = 0; start < USER_KEYS; start += 500) {
      const args = ['MSET'];
      for (let index = start; index < start + 500; index++) args.push(`user:${index}`, 'u'.repeat(index % 97));
      commands.push(args);
    }
    commands.push(['MSET', 'order:1', 'o', 'order:2', 'oo', 'big', 'b'.repeat(100_000)]);
    commands.push(['SET', 'expiring', 'e', 'EX', '1000']);
    for (const reply of await client.pipeline(commands)) expect(formatReply(reply)).toBe('+OK');
    client.close();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("lists exactly the matching keys with --scan --pattern 'user:*'", async () => {
    const { stdout } = await run('redis-cli', ['-p', String(server.port), '--scan', '--pattern', 'user:*'], { timeout: 20_000 });
    const lines = stdout.split('\n').filter((line) => line !== '');
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: USER_KEYS }, (_, index) => `user:${index}`)));
  });

  it('lists every key with --scan and no pattern, also in RESP3 (-3)', async () => {
    for (const extra of [[], ['-3']]) {
      const { stdout } = await run('redis-cli', ['-p', String(server.port), ...extra, '--scan'], { timeout: 20_000 });
      expect(new Set(stdout.split('\n').filter((line) => line !== '')).size).toBe(USER_KEYS + 4);
    }
  });

  it('runs --bigkeys to its summary and finds the biggest string', async () => {
    const { stdout, stderr } = await run('redis-cli', ['-p', String(server.port), '--bigkeys'], { timeout: 20_000 });
    expect(stderr).toBe('');
    expect(stdout).toContain(`Sampled ${USER_KEYS + 4} keys in the keyspace!`);
    expect(stdout).toContain(`Biggest string found '"big"' has 100000 bytes`);
    expect(stdout).toMatch(/\d+ strings with \d+ bytes \(100\.00% of keys/);
  });
});
