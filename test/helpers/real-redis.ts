// test/helpers/real-redis.ts: starts a real redis-server (the oracle for differential tests and
// benchmarks) on 127.0.0.1, a free port, no persistence unless asked. Killed by PID in stop().
// Invariants:
// - Never touches a redis-server it did not start (the Debian service on 6379 is left alone).
// - `hasRedisServer()` lets a test skip itself, with a printed reason, when the binary is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface RealRedis {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export function hasBinary(name: string): boolean {
  const probe = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

export function hasRedisServer(): boolean {
  return hasBinary('redis-server');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const stopAt = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > stopAt) throw new Error(`nothing listens on port ${port} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `extraArgs` e.g. ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]. */
export async function startRealRedis(extraArgs: readonly string[] = []): Promise<RealRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`redis-server did not start: ${stderr}`, { cause: error });
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('redis-server has no pid');
  return {
    port,
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
