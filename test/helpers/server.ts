// test/helpers/server.ts: starts the real built server (dist/tskv.js) for end-to-end tests.
// A free port comes from listening on port 0 and closing; the data dir from mkdtemp unless given.
// startServer resolves once the server answers PING; stop() sends SIGTERM and waits for the exit
// (SIGKILL after 10 s); kill9() SIGKILLs; restart() starts again on the same port and dir.
// Invariants:
// - Every started process is killed by PID in stop()/kill9() (tests call stop in afterAll), and
//   the process is also killed when the test process exits.
// - dist/tskv.js (and dist/healthcheck.js, dist/flush-worker.js) is built once per test process if missing (vitest forks per file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_BUNDLE = path.join(REPO_DIR, 'dist', 'tskv.js');
export const HEALTHCHECK_BUNDLE = path.join(REPO_DIR, 'dist', 'healthcheck.js'); // the Docker HEALTHCHECK
const FLUSH_WORKER_BUNDLE = path.join(REPO_DIR, 'dist', 'flush-worker.js'); // the server's flush thread

export interface StartedServer {
  port: number;
  dir: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  dir?: string;
  port?: number;
  /** Do not wait for PING (for servers expected to refuse start or to require AUTH). */
  noWait?: boolean;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function ensureBuilt(): void {
  if (!existsSync(SERVER_BUNDLE) || !existsSync(HEALTHCHECK_BUNDLE) || !existsSync(FLUSH_WORKER_BUNDLE)) execFileSync(process.execPath, ['build.mjs'], { cwd: REPO_DIR, stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends one raw request and resolves with the first reply bytes (or '' if the socket closes). */
export async function rawRequest(port: number, request: string | Buffer, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.endsWith('\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

async function waitForPing(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early (${child.exitCode ?? child.signalCode})`);
    const reply = await rawRequest(port, '*1\r\n$4\r\nPING\r\n', 500);
    if (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server on port ${port} did not answer PING in time`);
}

export async function startServer(options: StartOptions = {}): Promise<StartedServer> {
  ensureBuilt();
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'tskv-test-'));
  const port = options.port ?? (await freePort());
  let child!: ChildProcess;
  let output = '';
  let exit!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  const launch = async () => {
    output = '';
    const args = [SERVER_BUNDLE, '--port', String(port), '--dir', dir, ...(options.args ?? [])];
    child = spawn(process.execPath, args, { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const current = child;
    exit = new Promise((resolve) => current.once('exit', (code, signal) => {
      running.delete(current);
      resolve({ code, signal });
    }));
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (!options.noWait) {
      try {
        await waitForPing(port, child, Date.now() + 20_000);
      } catch (error) {
        child.kill('SIGKILL');
        throw new Error(`${(error as Error).message}\n${output}`);
      }
    }
  };

  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };

  await launch();
  return {
    port,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    output: () => output,
    exited: () => exit,
    stop: () => stopWith('SIGTERM'),
    kill9: () => stopWith('SIGKILL'),
    restart: async () => {
      await stopWith('SIGTERM');
      await launch();
    },
  };
}
