// test/monitor.test.ts: MONITOR end to end. The same commands are sent to tskv and to a real
// redis-server 7.0 while a MONITOR connection watches each; the lines must agree once the
// timestamp and client port are masked (which commands show, in which order, with which db, how
// arguments are quoted and which are redacted). Also: what a monitoring client may still do,
// RESET, and `redis-cli monitor`.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, formatReply } from './helpers/raw-client.js';
import { hasBinary, startRealRedis, type RealRedis } from './helpers/real-redis.js';
import { startServer, type StartedServer } from './helpers/server.js';

let server: StartedServer;
let real: RealRedis;

beforeAll(async () => {
  server = await startServer();
  real = await startRealRedis();
});

afterAll(async () => {
  await server?.stop();
  await real?.stop();
});

const LINE = /^\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:\d+\] (.*)$/;

/** A raw MONITOR connection that collects the lines it is sent. */
async function openMonitor(port: number): Promise<{ lines: string[]; socket: net.Socket }> {
  const socket = net.connect(port, '127.0.0.1');
  const lines: string[] = [];
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    const parts = pending.split('\r\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('MONITOR\r\n');
  for (let waited = 0; lines.length === 0 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(lines.shift()).toBe('+OK');
  return { lines, socket };
}

async function waitForLines(lines: string[], count: number): Promise<void> {
  for (let waited = 0; lines.length < count && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
}

const SCRIPT: string[][] = [
  ['SET', 'k', 'a b"c\x00\\\t\x07\x08\r\n\xe2\x9c\x93'],
  ['SELECT', '3'],
  ['GET', 'k'],
  ['CONFIG', 'GET', 'port'], // admin: never shown
  ['NOSUCH', 'x'], // refused before it runs: not shown
  ['GET'], // wrong arity: not shown
  ['AUTH', 'secret'], // fails, still shown, redacted
  ['HELLO', '2', 'AUTH', 'default', 'secret', 'SETNAME', 'me'],
  ['CLIENT', 'SETNAME', 'probe'],
  ['DEBUG', 'SLEEP', '0'], // admin
  ['SELECT', '0'],
  ['MULTI'],
  ['SET', 'a', '1'],
  ['INCR', 'a'],
  ['EXEC'],
  ['MULTI'],
  ['NOSUCH'],
  ['EXEC'],
  ['SET', 's', 'text'],
  ['INCR', 's'], // runs and fails: shown
  ['ECHO', ''],
  ['PING'],
];

async function monitorScript(port: number): Promise<string[]> {
  const monitor = await openMonitor(port);
  const client = await RawClient.connect(port);
  for (const args of SCRIPT) await client.send(args.map((arg) => Buffer.from(arg, 'latin1')));
  await waitForLines(monitor.lines, 17);
  await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more should come
  client.close();
  monitor.socket.destroy();
  return monitor.lines;
}

describe('MONITOR', () => {
  it('shows what redis-server shows for the same commands, quoted the same way', async () => {
    const before = Date.now() / 1000;
    const ours = await monitorScript(server.port);
    const theirs = await monitorScript(real.port);
    const masked = (lines: string[]) => lines.map((line) => line.replace(LINE, '[$3] $4'));
    expect(masked(ours)).toEqual(masked(theirs));
    expect(ours.length).toBe(17);
    for (const line of ours) {
      const match = LINE.exec(line);
      expect(match, line).not.toBeNull();
      expect(Number(match?.[1])).toBeGreaterThanOrEqual(Math.floor(before));
    }
    expect(ours[0]).toContain(String.raw`"a b\"c\x00\\\t\a\b\r\n\xe2\x9c\x93"`);
    expect(ours.some((line) => line.includes('"auth" "(redacted)"') || line.includes('"AUTH" "(redacted)"'))).toBe(true);
  });

  it('keeps a monitoring client away from the keyspace, as Redis does with replicas, until RESET', async () => {
    for (const port of [server.port, real.port]) {
      const client = await RawClient.connect(port);
      expect(formatReply(await client.send(['MONITOR']))).toBe('+OK');
      expect(formatReply(await client.send(['GET', 'k']))).toBe("-ERR Replica can't interact with the keyspace");
      expect(formatReply(await client.send(['SET', 'k', 'v']))).toBe("-ERR Replica can't interact with the keyspace");
      expect(formatReply(await client.send(['RESET']))).toBe('+RESET');
      expect(formatReply(await client.send(['SET', 'k', 'v']))).toBe('+OK');
      client.close();
    }
  });

  it('is queued inside MULTI and refused when EXEC runs it, as Redis 7.0 does', async () => {
    for (const port of [server.port, real.port]) {
      const client = await RawClient.connect(port);
      await client.send(['MULTI']);
      expect(formatReply(await client.send(['MONITOR']))).toBe('+QUEUED');
      expect(formatReply(await client.send(['EXEC']))).toBe("[-ERR MONITOR isn't allowed for DENY BLOCKING client]");
      expect(formatReply(await client.send(['SET', 'after-exec', '1']))).toBe('+OK'); // not a monitor
      client.close();
    }
  });

  it('answers nothing to a second MONITOR and shows flags=O in CLIENT LIST', async () => {
    const outputs: string[] = [];
    for (const port of [server.port, real.port]) {
      const socket = net.connect(port, '127.0.0.1');
      let output = '';
      socket.on('data', (chunk) => (output += chunk.toString('latin1')));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('MONITOR\r\nMONITOR\r\nCLIENT INFO\r\n');
      for (let waited = 0; !output.includes('"CLIENT" "INFO"') && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
      outputs.push(output);
    }
    for (const output of outputs) {
      // +OK, then CLIENT INFO's bulk (the second MONITOR answered nothing), then its own monitor line
      expect(output).toMatch(/^\+OK\r\n\$\d+\r\nid=\d+ [^\r]* flags=O [^\r]*\r\n\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "CLIENT" "INFO"\r\n$/);
    }
  });

  it.skipIf(!hasBinary('redis-cli'))('streams to redis-cli monitor', async () => {
    const child = spawn('redis-cli', ['-p', String(server.port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    try {
      for (let waited = 0; !output.includes('OK') && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
      const client = await RawClient.connect(server.port);
      await client.send(['SET', 'watched', '42']);
      client.close();
      for (let waited = 0; !output.includes('watched') && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(output).toMatch(/\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "watched" "42"/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
