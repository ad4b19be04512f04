// bench/server-wait.ts: what the benches that start their own servers share: waiting for PING
// and reading INFO's numeric fields.
import type { ChildProcess } from 'node:child_process';
import { rawRequest } from '../test/helpers/server.js';

const START_TIMEOUT_MS = 20_000;
const PING_INTERVAL_MS = 100;

/** Resolves once the server on port answers PING; fails if child exits first or after START_TIMEOUT_MS. */
export async function waitForPing(port: number, child: ChildProcess, stderr: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server on port ${port} exited with ${child.exitCode} before answering PING: ${stderr()}`);
    try {
      if ((await rawRequest(port, '*1\r\n$4\r\nPING\r\n')).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server on port ${port} did not answer PING: ${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS));
  }
}

/** The integer fields of an INFO reply. */
export function infoFields(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of text.split('\r\n')) {
    const [key, value] = line.split(':');
    if (key !== undefined && value !== undefined && /^-?\d+$/.test(value)) fields[key] = Number(value);
  }
  return fields;
}
