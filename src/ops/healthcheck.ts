// src/ops/healthcheck.ts: the Docker HEALTHCHECK's logic (run as dist/healthcheck.js, whose entry is
// healthcheck-main.ts). It asks the port the server was actually configured with, not a fixed one:
//
//   /proc/<pid>/cmdline  ->  the words after the one named tskv.js  ->  resolveCommandLine +
//   parseArguments, as main.ts (the config file, then the flags; a relative path from the
//   server's working directory)  ->  PING to loopback at config.port
//
// <pid> is 1 (the container's first process: node itself, or an init such as docker-init or tini
// whose command line carries node's after `--`) unless given.
// Invariants:
// - The check passes when the server answers PING with +PONG, or with -NOAUTH or -DENIED (it is
//   up, only waiting for a password); anything else, no answer within HEALTHCHECK_TIMEOUT_MS, or
//   a command line it cannot resolve fails it, with one line saying why.
import { readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArguments } from './config.js';
import { resolveCommandLine } from './config-file.js';

export const HEALTHCHECK_TIMEOUT_MS = 2_000;

/** The server's own arguments: what follows the word naming tskv.js in a NUL-separated cmdline. */
export function serverArguments(cmdline: string): string[] | undefined {
  const words = cmdline.split('\0');
  if (words.at(-1) === '') words.pop();
  const index = words.findIndex((word) => path.basename(word) === 'tskv.js');
  return index < 0 ? undefined : words.slice(index + 1);
}

/** Where to send PING: loopback when the server listens there or on every address, else its first address. */
export function probeHost(bind: readonly string[]): string {
  if (bind.some((address) => address === '0.0.0.0' || address.startsWith('127.'))) return '127.0.0.1';
  if (bind.some((address) => address === '::' || address === '::1')) return '::1';
  return bind[0] ?? '127.0.0.1';
}

export interface ProbeTarget {
  host: string;
  port: number;
}

/** The address the server with this pid was configured to listen on; throws with a reason. */
export function configuredTarget(pid: number): ProbeTarget {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  const argv = serverArguments(cmdline);
  if (argv === undefined) throw new Error(`process ${pid} is not tskv (it runs ${path.basename(cmdline.split('\0')[0] ?? '')})`); // its arguments may hold secrets
  let cwd = process.cwd();
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // not ours to read: relative paths resolve from here, the image's WORKDIR as well
  }
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const parsed = parseArguments(resolveCommandLine(argv).arguments);
    if (parsed.kind !== 'run') throw new Error(`process ${pid} prints ${parsed.kind} and exits; it serves nothing`);
    if (parsed.config.port === 0) throw new Error(`process ${pid} listens on port 0 (any free port): nothing to probe`);
    return { host: probeHost(parsed.config.bind), port: parsed.config.port };
  } finally {
    process.chdir(previous);
  }
}

/** Sends an inline PING; resolves with the first reply line, or undefined on no answer in time. */
export function ping(target: ProbeTarget, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(target.port, target.host);
    let text = '';
    const done = (line: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end >= 0) done(text.slice(0, end));
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(text === '' ? undefined : text));
  });
}

/** The check: 0 when the server answers, 1 otherwise; `report` gets one line either way. */
export async function healthcheck(pid: number, report: (line: string) => void): Promise<0 | 1> {
  let target: ProbeTarget;
  try {
    target = configuredTarget(pid);
  } catch (error) {
    report(`tskv healthcheck: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const reply = await ping(target, HEALTHCHECK_TIMEOUT_MS);
  const up = reply !== undefined && /^(\+PONG|-NOAUTH|-DENIED)/.test(reply);
  report(`tskv healthcheck: PING ${where} -> ${reply ?? `no answer in ${HEALTHCHECK_TIMEOUT_MS} ms`}`);
  return up ? 0 : 1;
}
