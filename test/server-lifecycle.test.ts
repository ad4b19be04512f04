// test/server-lifecycle.test.ts: the process from the outside: flags (a bad or unknown one exits 1
// with one line; --help exits 0), SIGTERM (answers what is in flight, exits 0, keeps every
// acknowledged write), a second signal exits at once, SHUTDOWN, and protected mode.
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { RawClient, encodeCommand, formatReply } from './helpers/raw-client.js';
import { SERVER_BUNDLE, ensureBuilt, startServer } from './helpers/server.js';

function runFlags(args: string[]): { status: number | null; stdout: string; stderr: string } {
  ensureBuilt();
  const result = spawnSync(process.execPath, [SERVER_BUNDLE, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function nonLoopbackAddress(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return undefined;
}

function firstReply(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    let text = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.endsWith('\r\n')) socket.destroy();
    });
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
}

describe('flags', () => {
  it.each([
    [['--nosuch'], "tskv: unknown option '--nosuch' (try --help)\n"],
    [['--port', 'abc'], 'tskv: --port "abc": argument couldn\'t be parsed into an integer\n'],
    [['--port', '70000'], 'tskv: --port "70000": argument must be between 0 and 65535 inclusive\n'],
    [['--appendfsync', 'sometimes'], 'tskv: --appendfsync "sometimes": argument(s) must be one of the following: everysec, always, no\n'],
    [['--port'], 'tskv: --port needs a value\n'],
    [['--cache-size', '10kb'], 'tskv: --cache-size "10kb": argument must be between 1048576 and 1099511627776 inclusive\n'],
    [['--cache-size', 'lots'], 'tskv: --cache-size "lots": argument must be a memory value\n'],
    [['--port', '7379', '/nonexistent/a.conf', 'b.conf'], "tskv: unexpected argument 'b.conf' (try --help)\n"],
    [['/nonexistent/tskv.conf'], "tskv: can't open config file '/nonexistent/tskv.conf': ENOENT: no such file or directory\n"],
  ])('%j exits 1 with one line', (args, line) => {
    const result = runFlags(args);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(line);
  });

  it('--help lists the options and exits 0', () => {
    const result = runFlags(['--help']);
    expect(result.status).toBe(0);
    for (const option of ['--port', '--bind', '--dir', '--appendfsync', '--requirepass', '--maxclients', '--timeout', '--tcp-keepalive', '--protected-mode', '--databases', '--loglevel']) {
      expect(result.stdout).toContain(option);
    }
  });

  it('--help names the config-file argument and keeps every description in one column', () => {
    const lines = runFlags(['--help']).stdout.split('\n');
    expect(lines[0]).toBe('Usage: node dist/tskv.js [config-file] [--option value]...');
    const rows = lines.filter((line) => /^ {2}(--[a-z-]+|config-file) {2,}\S/.test(line));
    expect(rows.map((row) => /^ {2}\S+/.exec(row)?.[0].trim())).toContain('config-file');
    expect(rows.length).toBeGreaterThan(15);
    const column = rows.map((row) => row.search(/(?<=\S {2,})\S/));
    expect(new Set(column).size, rows.join('\n')).toBe(1);
    const continued = lines.filter((line) => /^ {8,}\S/.test(line) && !line.includes('--'));
    for (const line of continued) expect(line.search(/\S/), line).toBe(column[0]);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});

describe('--cache-size', () => {
  it('sizes the engine block cache, as CONFIG GET and INFO memory report', async () => {
    const server = await startServer({ args: ['--cache-size', '64mb'] });
    try {
      const client = await RawClient.connect(server.port);
      expect(formatReply(await client.send(['CONFIG', 'GET', 'cache-size']))).toBe('["cache-size", "67108864"]');
      const info = formatReply(await client.send(['INFO', 'memory']));
      expect(info).toContain('tskv_cache_bytes_max:67108864');
      expect(info).toMatch(/tskv_cache_bytes:\d+/);
      expect(formatReply(await client.send(['CONFIG', 'SET', 'cache-size', '1gb']))).toBe(
        "-ERR CONFIG SET failed (possibly related to argument 'cache-size') - can't set immutable config",
      );
      client.close();
    } finally {
      await server.stop();
    }
  });
});

describe('shutdown', () => {
  it('on SIGTERM answers in-flight writes, exits 0, and every acknowledged write survives', async () => {
    const server = await startServer({ args: ['--appendfsync', 'always'] });
    const client = await RawClient.connect(server.port);
    const acknowledged: string[] = [];
    const writes = Array.from({ length: 2000 }, (_, index) =>
      client.send(['SET', `term:${index}`, String(index)]).then(
        (reply) => formatReply(reply) === '+OK' && acknowledged.push(`term:${index}`),
        () => undefined,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    process.kill(server.pid, 'SIGTERM');
    const exit = await server.exited();
    await Promise.all(writes);
    client.close();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain('ready to exit');
    await server.restart();
    const check = await RawClient.connect(server.port);
    const replies = await check.pipeline(acknowledged.map((key) => ['GET', key]));
    check.close();
    replies.forEach((reply, index) => expect(formatReply(reply)).toBe(JSON.stringify(acknowledged[index]!.slice(5))));
    await server.stop();
  });

  it('exits 0 within 10 s even while a client never reads, and at once (1) on a second signal', async () => {
    for (const secondSignal of [false, true]) {
      const server = await startServer();
      const flood = net.connect(server.port, '127.0.0.1');
      await new Promise((resolve) => flood.once('connect', resolve));
      flood.pause();
      flood.on('error', () => {});
      flood.write(Buffer.concat(Array.from({ length: 20_000 }, () => encodeCommand(['ECHO', 'e'.repeat(8000)]))));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      process.kill(server.pid, 'SIGTERM');
      if (secondSignal) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        process.kill(server.pid, 'SIGINT');
      }
      const exit = await server.exited();
      flood.destroy();
      expect(exit.code).toBe(secondSignal ? 1 : 0);
      expect(Date.now() - started).toBeLessThan(10_000); // docker stop's grace period; code 1 shows the second signal cut the drain short
    }
  });

  it('SHUTDOWN closes the connection and exits 0', async () => {
    const server = await startServer();
    const socket = net.connect(server.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('connect', () => socket.write('SHUTDOWN\r\n'));
    expect(await server.exited()).toEqual({ code: 0, signal: null });
  });
});

const externalAddress = nonLoopbackAddress();

describe.skipIf(externalAddress === undefined)('protected mode', () => {
  it('refuses non-loopback clients while no password is set, unless --protected-mode no', async () => {
    const guarded = await startServer({ args: ['--bind', '0.0.0.0'] });
    const denied = await firstReply(externalAddress!, guarded.port, externalAddress);
    expect(denied).toMatch(/^-DENIED tskv is running in protected mode because protected mode is enabled and no password is set/);
    expect(await firstReply('127.0.0.1', guarded.port)).toBe('+PONG\r\n');
    await guarded.stop();
    const open = await startServer({ args: ['--bind', '0.0.0.0', '--protected-mode', 'no'] });
    expect(await firstReply(externalAddress!, open.port, externalAddress)).toBe('+PONG\r\n');
    await open.stop();
    const withPassword = await startServer({ args: ['--bind', '0.0.0.0', '--requirepass', 'pw'] });
    expect(await firstReply(externalAddress!, withPassword.port, externalAddress)).toBe('-NOAUTH Authentication required.\r\n');
    await withPassword.stop();
  });
});
