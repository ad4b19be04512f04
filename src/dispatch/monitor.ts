// src/dispatch/monitor.ts: what MONITOR shows (Redis 7.0 src/replication.c replicationFeedMonitors, server.c
// call()): every command that runs is sent to each monitoring client as one status line,
//   +<unix seconds>.<microseconds> [<db> <ip:port>] "<arg>" "<arg>" ...
// with each argument quoted as sdscatrepr does (\\ \" \n \r \t \a \b, other bytes outside
// 0x20-0x7e as \xhh).
// As in Redis 7.0:
// - A command is fed after it ran (so EXEC follows the commands it ran, and SELECT shows its new
//   db); commands refused before running (unknown, wrong arity, NOAUTH, queued in MULTI) are not.
// - admin commands (CONFIG, DEBUG, SLOWLOG, MONITOR, ...) are never shown; AUTH's arguments and
//   HELLO's AUTH credentials are shown as "(redacted)".
// - A monitoring client may not touch the keyspace: "ERR Replica can't interact with the keyspace"
//   (dispatch.ts asks refusesKeyspace()); RESET or closing the connection ends monitoring.
// - MONITOR is queued inside MULTI; EXEC runs it as an error ("MONITOR isn't allowed for DENY
//   BLOCKING client"). MONITOR from a client already monitoring gets no reply at all.
// - Whether a command is shown depends on its own flags (CONFIG GET is admin; CLIENT SETNAME is not).
// Invariants:
// - server.monitors holds exactly the connected clients in monitor mode.
// - A monitor that does not read its socket is closed once its unsent output passes
//   limits.replyBytesPendingMax (Connection.sendOutOfBand), never buffered without bound.
// The MONITOR command itself is src/commands/monitor.ts.
import type { ClientState } from './client-state.js';
import type { CommandEntry } from './command-table.js';
import type { ServerState } from './server-state.js';

export const MONITOR_ERRORS = {
  keyspace: "ERR Replica can't interact with the keyspace",
  inExec: "ERR MONITOR isn't allowed for DENY BLOCKING client",
} as const;

const REDACTED = Buffer.from('(redacted)');
const ESCAPES: Record<number, string> = { 0x5c: '\\\\', 0x22: '\\"', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x07: '\\a', 0x08: '\\b' };

/** sdscatrepr: the bytes as a double-quoted C-style literal. */
export function quoteArgument(bytes: Buffer): string {
  let text = '"';
  for (const byte of bytes) {
    const escape = ESCAPES[byte];
    if (escape !== undefined) text += escape;
    else if (byte >= 0x20 && byte <= 0x7e) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${text}"`;
}

/** The arguments as Redis shows them: AUTH's and HELLO ... AUTH's credentials redacted. */
function shownArguments(entry: CommandEntry, args: Buffer[]): Buffer[] {
  const name = (entry.container ?? entry).spec.name;
  if (name === 'auth') return args.map((arg, index) => (index === 0 ? arg : REDACTED));
  if (name !== 'hello') return args;
  const shown = [...args];
  for (let index = 2; index + 2 < shown.length; index++) {
    if ((shown[index] as Buffer).toString('latin1').toLowerCase() === 'auth') {
      shown[index + 1] = REDACTED;
      shown[index + 2] = REDACTED;
      index += 2;
    }
  }
  return shown;
}

/** Called by dispatch after every command that ran; cheap when nobody monitors. */
export function feedMonitors(server: ServerState, client: ClientState, entry: CommandEntry, args: Buffer[]): void {
  if (server.monitors.size === 0) return;
  if (entry.spec.flags.includes('admin')) return; // the subcommand's own flags, as Redis's c->cmd
  const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const seconds = Math.floor(nowUs / 1e6);
  const micros = String(nowUs % 1e6).padStart(6, '0');
  const words = shownArguments(entry, args).map(quoteArgument).join(' ');
  const line = Buffer.from(`+${seconds}.${micros} [${client.db} ${client.address}] ${words}\r\n`, 'latin1');
  for (const monitor of server.monitors) monitor.connection.sendOutOfBand(line);
}

/** Whether a monitoring client must be refused this command (Redis: monitors are replicas). */
export function refusesKeyspace(client: ClientState, entry: CommandEntry): boolean {
  if (!client.monitoring) return false;
  const flags = (entry.container ?? entry).spec.flags;
  return entry.isWrite || flags.includes('readonly') || entry.spec.flags.includes('readonly');
}

/** Ends monitor mode (RESET, disconnect). */
export function stopMonitoring(server: ServerState, client: ClientState): void {
  client.monitoring = false;
  server.monitors.delete(client);
}
