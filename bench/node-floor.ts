// bench/node-floor.ts: the least a Node server can do for redis-benchmark's PING, SET and GET, to
// tell what Node itself costs on this machine from what tskv adds. `npm run bench:server --
// --bundle bench/node-floor.ts` measures it against redis-server in the same run as tskv would be.
// It takes tskv's flags (--port --bind --dir --appendfsync always|no; others are ignored) and:
// - reads each socket into a reused buffer (src/net/socket-reader.ts, as tskv) and writes a
//   connection's replies once per event-loop turn, after every socket of the turn was read (as
//   tskv's flushTurn and Redis's beforeSleep);
// - parses multibulk requests (inline ones are split on spaces), answers PING, ECHO, SET k v,
//   GET k, CONFIG GET name (name with an empty value), anything else with an error;
// - keeps the keys in a JS Map (latin1 strings to value copies): no engine, no expiry, no counts;
// - under `--appendfsync always`, appends each SET request as received (the RESP bytes, like
//   Redis's AOF) to dir/floor.aof once per event-loop turn, with zeros written a MiB ahead as
//   tskv's WAL does (an fdatasync then need not write the file's size), holds the replies of a turn's SETs
//   until an fdatasync on the thread pool covering them returned, one fsync in flight (tskv's
//   group commit without its WAL format, memtable or tables).
// It stores nothing a restart reads: a measuring tool, not a server.
// Bounds: a connection's unparsed input and held replies each stop its reading past
// FLOOR_HELD_BYTES_MAX until they drain; a request has at most FLOOR_ARGUMENTS_MAX arguments.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readInto } from '../src/net/socket-reader.js';

export const FLOOR_HELD_BYTES_MAX = 1024 * 1024;
export const FLOOR_ARGUMENTS_MAX = 16;
/** Zeros kept written ahead of the appends (tskv's WAL_RESERVE_BYTES). */
export const FLOOR_RESERVE_BYTES = 1024 * 1024;
const RESERVE_ZEROS = Buffer.alloc(FLOOR_RESERVE_BYTES);

const PONG = Buffer.from('+PONG\r\n');
const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');
const UNKNOWN = Buffer.from('-ERR unknown command\r\n');
const PROTOCOL_ERROR = Buffer.from('-ERR Protocol error\r\n');

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const port = Number(option('--port', '7379'));
const bind = option('--bind', '127.0.0.1');
const durable = option('--appendfsync', 'always') === 'always';
const store = new Map<string, Buffer>();

/** One fsync in flight; appends staged in a turn ride the next one (tskv's group commit shape). */
class AppendLog {
  private readonly fd: number;
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private position = 0;
  private reservedEnd = 0;
  private syncing = false;
  private turnScheduled = false;
  private waiting: (() => void)[] = []; // released by the fsync after the current one
  constructor(file: string) {
    this.fd = fs.openSync(file, 'w');
  }

  /** Stages bytes (copied) for the next append. */
  stage(bytes: Buffer): void {
    this.staged.push(Buffer.from(bytes));
    this.stagedBytes += bytes.length;
  }

  /** done runs once an fdatasync covering everything staged so far returned. */
  whenDurable(done: () => void): void {
    this.waiting.push(done);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(() => {
        this.turnScheduled = false;
        if (!this.syncing) this.appendAndSync();
      });
    }
  }

  private appendAndSync(): void {
    if (this.stagedBytes === 0) return;
    const bytes = Buffer.concat(this.staged, this.stagedBytes);
    this.staged = [];
    this.stagedBytes = 0;
    fs.writeSync(this.fd, bytes, 0, bytes.length, this.position);
    this.position += bytes.length;
    if (this.position + FLOOR_RESERVE_BYTES / 4 > this.reservedEnd) {
      // zeros ahead, as tskv's WAL keeps them: an fdatasync then need not write the file's size
      fs.writeSync(this.fd, RESERVE_ZEROS, 0, RESERVE_ZEROS.length, this.reservedEnd);
      this.reservedEnd += RESERVE_ZEROS.length;
    }
    const released = this.waiting;
    this.waiting = [];
    this.syncing = true;
    fs.fdatasync(this.fd, (error) => {
      if (error) throw error;
      this.syncing = false;
      for (const done of released) done();
      this.appendAndSync();
    });
  }
}

const log = durable ? new AppendLog(path.join(option('--dir', './data'), 'floor.aof')) : undefined;

class FloorConnection {
  private socket: net.Socket;
  private pending: Buffer | undefined; // unparsed input
  private out: Buffer[] = []; // replies of this read
  private unwritten: Buffer[] = []; // replies of this turn's reads, written by writeTurn
  private readonly held: { bytes: Buffer[]; ready: boolean }[] = []; // in request order
  private heldBytes = 0;
  private paused = false;

  constructor(accepted: net.Socket) {
    this.socket = readInto(accepted, (chunk) => this.onData(chunk));
    this.socket.setNoDelay(true);
    this.socket.on('error', () => this.socket.destroy());
  }

  private onData(chunk: Buffer): boolean {
    const input = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let position = 0;
    let wroteLog = false;
    for (;;) {
      const start = position;
      const args: Buffer[] = [];
      position = parseRequest(input, position, args);
      if (position < 0) {
        position = start;
        break;
      }
      if (position === start) {
        this.out.push(PROTOCOL_ERROR);
        position = input.length;
        break;
      }
      if (args.length === 0) continue;
      const isWrite = this.execute(args);
      if (isWrite && log !== undefined) {
        log.stage(input.subarray(start, position));
        wroteLog = true;
      }
    }
    if (wroteLog) log?.whenDurable(() => this.release());
    if (position < input.length) this.pending = Buffer.from(input.subarray(position));
    this.queueReplies(wroteLog);
    this.updateReading();
    return false; // nothing of chunk is referenced after this returns (pending is a copy)
  }

  /** Runs one command into this.out; true when it changed the store. */
  private execute(args: Buffer[]): boolean {
    const name = commandName(args[0] as Buffer);
    if (name === 'ping') this.out.push(PONG);
    else if (name === 'get' && args.length === 2) {
      const value = store.get((args[1] as Buffer).toString('latin1'));
      this.out.push(value === undefined ? NIL : bulk(value));
    } else if (name === 'set' && args.length === 3) {
      store.set((args[1] as Buffer).toString('latin1'), Buffer.from(args[2] as Buffer));
      this.out.push(OK);
      return true;
    } else if (name === 'echo' && args.length === 2) this.out.push(bulk(args[1] as Buffer));
    else if (name === 'config' && args.length === 3) this.out.push(Buffer.concat([Buffer.from('*2\r\n'), bulk(args[2] as Buffer), bulk(Buffer.alloc(0))]));
    else this.out.push(UNKNOWN);
    return false;
  }

  private queueReplies(waitForSync: boolean): void {
    if (this.out.length === 0) return;
    const bytes = this.out;
    this.out = [];
    if (!waitForSync && this.held.length === 0) {
      for (const reply of bytes) this.unwritten.push(reply);
      if (this.unwritten.length === bytes.length) turnWrites.push(this);
      if (!turnWritesScheduled) {
        turnWritesScheduled = true;
        setImmediate(writeTurn);
      }
      return;
    }
    this.held.push({ bytes, ready: !waitForSync });
    for (const reply of bytes) this.heldBytes += reply.length;
  }

  /** The oldest waiting group of replies became durable: write every ready one in order. */
  private release(): void {
    const waiting = this.held.find((group) => !group.ready);
    if (waiting === undefined || this.socket.destroyed) return;
    waiting.ready = true;
    const ready: Buffer[] = [];
    while (this.held.length > 0 && (this.held[0] as { ready: boolean }).ready) {
      const group = this.held.shift() as { bytes: Buffer[] };
      for (const reply of group.bytes) {
        ready.push(reply);
        this.heldBytes -= reply.length;
      }
    }
    this.writeUnwritten(); // replies not waiting for the log were queued before these
    if (ready.length > 0) this.socket.write(Buffer.concat(ready));
    this.updateReading();
  }

  /** Writes what queueReplies gathered this turn, in one write. */
  writeUnwritten(): void {
    const bytes = this.unwritten;
    this.unwritten = [];
    if (bytes.length > 0 && !this.socket.destroyed) this.socket.write(bytes.length === 1 ? (bytes[0] as Buffer) : Buffer.concat(bytes));
  }

  private updateReading(): void {
    const full = this.heldBytes > FLOOR_HELD_BYTES_MAX || (this.pending?.length ?? 0) > FLOOR_HELD_BYTES_MAX;
    if (full && !this.paused) this.socket.pause();
    else if (!full && this.paused) this.socket.resume();
    this.paused = full;
  }
}

/**
 * Replies go out once per event-loop turn, after every readable socket was read (as tskv's
 * flushTurn and Redis's beforeSleep do), so a client is woken once per turn, not once per read.
 */
const turnWrites: FloorConnection[] = [];
let turnWritesScheduled = false;

function writeTurn(): void {
  turnWritesScheduled = false;
  const count = turnWrites.length;
  for (let index = 0; index < count; index++) (turnWrites[index] as FloorConnection).writeUnwritten();
  turnWrites.splice(0, count);
}

const NAMES = ['ping', 'get', 'set', 'echo', 'config'] as const;

/** The command's lower-case name if it is one the floor knows, by its bytes (no string made). */
function commandName(word: Buffer): (typeof NAMES)[number] | undefined {
  for (const name of NAMES) {
    if (word.length !== name.length) continue;
    let index = 0;
    while (index < name.length && ((word[index] as number) | 0x20) === name.charCodeAt(index)) index++;
    if (index === name.length) return name;
  }
  return undefined;
}

function bulk(value: Buffer): Buffer {
  const header = `$${value.length}\r\n`;
  const reply = Buffer.allocUnsafe(header.length + value.length + 2);
  reply.write(header, 0, 'latin1');
  value.copy(reply, header.length);
  reply[reply.length - 2] = 13;
  reply[reply.length - 1] = 10;
  return reply;
}

/**
 * Parses one request at input[position]: fills args and returns where it ends; -1 when it is not
 * complete yet; `position` itself when it is malformed.
 */
function parseRequest(input: Buffer, position: number, args: Buffer[]): number {
  const lineEnd = input.indexOf(10, position);
  if (lineEnd < 0) return -1;
  if (input[position] !== 42) {
    // inline: words split on spaces
    for (const word of input.toString('latin1', position, lineEnd).trim().split(' ')) if (word !== '') args.push(Buffer.from(word, 'latin1'));
    return args.length > FLOOR_ARGUMENTS_MAX ? position : lineEnd + 1;
  }
  const count = Number(input.toString('latin1', position + 1, lineEnd - 1));
  if (!Number.isInteger(count) || count > FLOOR_ARGUMENTS_MAX) return position;
  let at = lineEnd + 1;
  for (let index = 0; index < count; index++) {
    const headerEnd = input.indexOf(10, at);
    if (headerEnd < 0) return -1;
    if (input[at] !== 36) return position;
    const length = Number(input.toString('latin1', at + 1, headerEnd - 1));
    if (!Number.isInteger(length) || length < 0 || length > FLOOR_HELD_BYTES_MAX) return position;
    at = headerEnd + 1;
    if (at + length + 2 > input.length) return -1;
    args.push(input.subarray(at, at + length));
    at += length + 2;
  }
  return at;
}

const server = net.createServer({ pauseOnConnect: true }, (socket) => new FloorConnection(socket));
server.listen(port, bind);
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
