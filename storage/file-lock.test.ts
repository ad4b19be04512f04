// storage/file-lock.test.ts: the LOCK of RealFileSystem against other real processes. A holder is
// a node process that takes the lock and prints `locked <pid>`. Its parent is a perl one-liner
// that reaps nothing until its stdin closes, so a holder killed meanwhile stays a zombie, as
// under a supervisor slow to reap; then it SIGKILLs the holder and reaps it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from './errors.js';
import { RealFileSystem } from './file-system.js';

const FILE_SYSTEM_MODULE = nodePath.join(nodePath.dirname(fileURLToPath(import.meta.url)), 'file-system.ts');
const HOLDER_SCRIPT = [
  `import { RealFileSystem } from ${JSON.stringify(FILE_SYSTEM_MODULE)};`,
  'new RealFileSystem().lock(process.argv[1]);',
  "process.stdout.write('locked ' + process.pid + '\\n');",
  'setInterval(() => {}, 60_000);',
].join('\n');
const UNREAPING_PARENT = 'my $pid = fork() // die "fork: $!"; if ($pid == 0) { exec(@ARGV) or die "exec: $!" } <STDIN>; kill("KILL", $pid); waitpid($pid, 0);';
const HOLDER_READY_MS = 20_000;
const ZOMBIE_WAIT_MS = 5_000;
const PARENT_EXIT_MS = 5_000;

const parents = new Set<ChildProcess>();
let dir: string;
const fs = new RealFileSystem();

beforeEach(() => {
  dir = nodeFs.mkdtempSync(nodePath.join(tmpdir(), 'tskv-lock-'));
});

afterEach(async () => {
  for (const parent of parents) {
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    parent.stdin!.end(); // the parent kills and reaps its holder, then exits
    const timer = setTimeout(() => parent.kill('SIGKILL'), PARENT_EXIT_MS);
    if (parent.exitCode === null && parent.signalCode === null) await exited;
    clearTimeout(timer);
  }
  parents.clear();
  nodeFs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a holder of path under its perl parent; resolves with the holder's pid once it holds. */
function startHolder(path: string): Promise<number> {
  const parent = spawn('perl', ['-e', UNREAPING_PARENT, process.execPath, '--import', 'tsx', '--input-type=module', '-e', HOLDER_SCRIPT, path], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  parents.add(parent);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`holder not ready after ${HOLDER_READY_MS} ms:\n${output}`)), HOLDER_READY_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /locked (\d+)\n/.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    parent.stdout!.on('data', onData);
    parent.stderr!.on('data', onData);
    parent.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`holder's parent exited (${code ?? signal}):\n${output}`));
    });
  });
}

/** 'Z' once every thread of pid exited (its descriptors closed) and only its zombie is left. */
function processState(pid: number): string | undefined {
  try {
    const tasks = nodeFs.readdirSync(`/proc/${pid}/task`).length; // the leader is a zombie before its threads finish exiting
    const state = /^\d+ \(.*\) (\S)/s.exec(nodeFs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
    return state === 'Z' && tasks > 1 ? 'exiting' : state;
  } catch {
    return undefined; // gone
  }
}

async function waitForZombie(pid: number): Promise<string | undefined> {
  const deadline = Date.now() + ZOMBIE_WAIT_MS;
  let state = processState(pid);
  while (state !== 'Z' && state !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    state = processState(pid);
  }
  return state;
}

function lockError(path: string): LockedError {
  try {
    fs.lock(path).release();
  } catch (error) {
    if (error instanceof LockedError) return error;
    throw error;
  }
  throw new Error(`${path} was not locked`);
}

describe('RealFileSystem.lock', () => {
  it('writes pid, host and start time into LOCK, and refuses a second lock from this process', () => {
    const path = nodePath.join(dir, 'LOCK');
    const lock = fs.lock(path);
    const holder = JSON.parse(nodeFs.readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(holder).toEqual({ pid: process.pid, host: hostname(), startedAt: new Date(performance.timeOrigin).toISOString() });
    const error = lockError(path);
    expect(error).toMatchObject({ code: 'ERR_LOCKED', holder: { pid: process.pid, host: hostname() } });
    lock.release();
    lock.release(); // idempotent
    fs.lock(path).release();
  });

  it('refuses a lock another process holds, naming its pid, start time and host', async () => {
    const path = nodePath.join(dir, 'LOCK');
    const pid = await startHolder(path);
    const error = lockError(path);
    expect(error).toMatchObject({ code: 'ERR_LOCKED', holder: { pid, host: hostname() } });
    expect(error.message).toMatch(new RegExp(`^${path} is held by process ${pid} \\(started \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, host ${hostname()}\\)$`));
  });

  it('takes the lock once its holder is killed, while the holder is still an unreaped zombie', async () => {
    const path = nodePath.join(dir, 'LOCK');
    const pid = await startHolder(path);
    expect(lockError(path).holder?.pid).toBe(pid);
    process.kill(pid, 'SIGKILL');
    expect(await waitForZombie(pid)).toBe('Z'); // its parent reaps it only after the test
    const lock = fs.lock(path);
    expect(JSON.parse(nodeFs.readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes a LOCK that names a live process when no process holds the lock', () => {
    const path = nodePath.join(dir, 'LOCK');
    const contents = [`${process.ppid}\n`, JSON.stringify({ pid: 1, host: hostname(), startedAt: '2020-01-01T00:00:00.000Z' }), 'garbage', ''];
    for (const content of contents) {
      nodeFs.writeFileSync(path, content);
      const lock = fs.lock(path);
      expect(JSON.parse(nodeFs.readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid });
      lock.release();
    }
  });
});
