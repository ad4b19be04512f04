// test/scan-guarantee.test.ts: SCAN's guarantee at scale. With 100k keys, a full scan while
// another client inserts and deletes keys returns every key that existed throughout; and the same
// scan, continued with its cursor after kill -9 and a restart, still returns them all (the cursor
// is a hash position, not server memory).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type StartedServer } from './helpers/server.js';
import { RawClient, formatReply, replyBytes, replyItems } from './helpers/raw-client.js';

const KEY_COUNT = 100_000;
const BATCH_KEYS = 1000;
const SCAN_COUNT = 200;

let server: StartedServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

async function loadKeys(client: RawClient): Promise<void> {
  const commands: string[][] = [];
  for (let start = 0; start < KEY_COUNT; start += BATCH_KEYS) {
    const args = ['MSET'];
    for (let index = start; index < start + BATCH_KEYS; index++) args.push(`stable:${index}`, `value-${index}`);
    commands.push(args);
  }
  for (let start = 0; start < commands.length; start += 10) {
    const replies = await client.pipeline(commands.slice(start, start + 10));
    for (const reply of replies) expect(formatReply(reply)).toBe('+OK');
  }
}

/** Inserts fresh keys and deletes some stable ones (which then need not be returned) until stopped. */
function startChurn(client: RawClient, deleted: Set<string>, salt: string): { stop(): Promise<number> } {
  let running = true;
  let operations = 0;
  const loop = (async () => {
    let round = 0;
    while (running) {
      const fresh = ['MSET'];
      for (let index = 0; index < 50; index++) fresh.push(`churn:${salt}:${round}:${index}`, 'x');
      const victims = Array.from({ length: 5 }, (_, index) => `stable:${(round * 7919 + index * 104729 + salt.length) % KEY_COUNT}`);
      for (const victim of victims) deleted.add(victim); // counted as deleted before the DEL is sent
      const previous = Array.from({ length: 50 }, (_, index) => `churn:${salt}:${round - 1}:${index}`);
      try {
        await client.pipeline([fresh, ['DEL', ...victims], ['DEL', ...previous]]);
      } catch {
        return; // the server was killed under us
      }
      operations += 3;
      round++;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return operations;
    },
  };
}

async function scanPages(client: RawClient, cursor: string, pagesMax: number, found: Set<string>): Promise<string> {
  for (let page = 0; page < pagesMax; page++) {
    const [next, items] = replyItems(await client.send(['SCAN', cursor, 'COUNT', String(SCAN_COUNT)]));
    cursor = replyBytes(next!).toString();
    for (const item of replyItems(items!)) found.add(replyBytes(item).toString('latin1'));
    if (cursor === '0') break;
  }
  return cursor;
}

describe('SCAN guarantee with 100k keys', () => {
  it('returns every key present throughout, across concurrent writes and a kill -9 restart', async () => {
    const loader = await RawClient.connect(server.port);
    await loadKeys(loader);
    loader.close();

    const deleted = new Set<string>();
    const found = new Set<string>();
    const scanner = await RawClient.connect(server.port);
    const churnClient = await RawClient.connect(server.port);
    const churn = startChurn(churnClient, deleted, 'a');
    // first part: about a third of the keyspace
    let cursor = await scanPages(scanner, '0', Math.ceil(KEY_COUNT / SCAN_COUNT / 3), found);
    expect(cursor).not.toBe('0');
    const beforeKill = found.size;

    await server.kill9();
    const churnedBefore = await churn.stop();
    expect(churnedBefore).toBeGreaterThan(0);
    scanner.close();
    churnClient.close();
    await server.restart();

    const scannerAfter = await RawClient.connect(server.port);
    const churnAfterClient = await RawClient.connect(server.port);
    const churnAfter = startChurn(churnAfterClient, deleted, 'bb');
    cursor = await scanPages(scannerAfter, cursor, 1_000_000, found);
    const churnedAfter = await churnAfter.stop();
    expect(churnedAfter).toBeGreaterThan(0);
    expect(cursor).toBe('0');
    scannerAfter.close();
    churnAfterClient.close();

    console.log(`scan guarantee: ${found.size} distinct keys returned (${beforeKill} before kill -9), ` +
      `${deleted.size} stable keys deleted, ${churnedBefore + churnedAfter} churn commands during the scan`);
    const missing: string[] = [];
    for (let index = 0; index < KEY_COUNT; index++) {
      const name = `stable:${index}`;
      if (!deleted.has(name) && !found.has(name)) missing.push(name);
    }
    expect(missing.slice(0, 10)).toEqual([]);
    expect(missing.length).toBe(0);
    expect(beforeKill).toBeGreaterThan(KEY_COUNT / 10);
    expect(deleted.size).toBeLessThan(KEY_COUNT / 2);
  }, 60_000);
});
