// test/helpers/raw-client.ts: a minimal RESP client for tests and benches that must see replies
// exactly as sent (type byte, error text, null kind), which ioredis and node-redis hide.
// Requests go out as RESP arrays of bulk strings; replies are parsed as RESP2 or RESP3 into a
// tagged tree. Replies are matched to requests in order (pipelining allowed). Push frames (`>`)
// are collected apart and never answer a request.
import net from 'node:net';

export type Reply =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: Buffer }
  | { type: 'null-bulk' }           // RESP2 $-1
  | { type: 'null-array' }          // RESP2 *-1
  | { type: 'null' }                // RESP3 _
  | { type: 'array'; value: Reply[] }
  | { type: 'set'; value: Reply[] }
  | { type: 'push'; value: Reply[] }
  | { type: 'map'; value: [Reply, Reply][] }
  | { type: 'double'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'bignum'; value: string }
  | { type: 'verbatim'; value: Buffer };

const CRLF = Buffer.from('\r\n');

/** Parses one reply at `offset`; returns undefined when the buffer ends before the reply does. */
export function parseReply(buffer: Buffer, offset: number): { reply: Reply; end: number } | undefined {
  const lineEnd = buffer.indexOf(CRLF, offset);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case '+': return { reply: { type: 'simple', value: buffer.toString('utf8', offset + 1, lineEnd) }, end: next };
    case '-': return { reply: { type: 'error', value: buffer.toString('utf8', offset + 1, lineEnd) }, end: next };
    case ':': return { reply: { type: 'integer', value: BigInt(line) }, end: next };
    case '_': return { reply: { type: 'null' }, end: next };
    case ',': return { reply: { type: 'double', value: line }, end: next };
    case '#': return { reply: { type: 'boolean', value: line === 't' }, end: next };
    case '(': return { reply: { type: 'bignum', value: line }, end: next };
    case '$': case '=': case '!': {
      const length = Number(line);
      if (length < 0) return { reply: { type: 'null-bulk' }, end: next };
      if (buffer.length < next + length + 2) return undefined;
      const value = Buffer.from(buffer.subarray(next, next + length));
      const end = next + length + 2;
      if (kind === '!') return { reply: { type: 'error', value: value.toString('utf8') }, end };
      if (kind === '=') return { reply: { type: 'verbatim', value }, end };
      return { reply: { type: 'bulk', value }, end };
    }
    case '*': case '~': case '>': case '%': {
      const count = Number(line);
      if (count < 0) return { reply: { type: 'null-array' }, end: next };
      const items: Reply[] = [];
      let position = next;
      const itemCount = kind === '%' ? count * 2 : count;
      for (let index = 0; index < itemCount; index++) {
        const parsed = parseReply(buffer, position);
        if (parsed === undefined) return undefined;
        items.push(parsed.reply);
        position = parsed.end;
      }
      if (kind === '%') {
        const pairs: [Reply, Reply][] = [];
        for (let index = 0; index < items.length; index += 2) pairs.push([items[index] as Reply, items[index + 1] as Reply]);
        return { reply: { type: 'map', value: pairs }, end: position };
      }
      const type = kind === '*' ? 'array' : kind === '~' ? 'set' : 'push';
      return { reply: { type, value: items }, end: position };
    }
    default:
      throw new Error(`bad reply type byte ${JSON.stringify(kind)} at ${offset}: ${buffer.toString('latin1', offset, offset + 40)}`);
  }
}

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
  }
  return Buffer.concat(parts);
}

export class RawClient {
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiters: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  readonly pushes: Reply[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.setNoDelay(true);
      socket.once('connect', () => { socket.removeListener('error', reject); resolve(new RawClient(socket)); });
      socket.once('error', reject);
    });
  }

  send(args: readonly (string | Buffer)[]): Promise<Reply> {
    return this.sendEncoded(encodeCommand(args));
  }

  /** Writes all commands in one write, then awaits every reply in order. */
  pipeline(commands: readonly (readonly (string | Buffer)[])[]): Promise<Reply[]> {
    const replies = commands.map(() => new Promise<Reply>((resolve, reject) => {
      if (this.failure !== undefined) reject(this.failure);
      else this.waiters.push({ resolve, reject });
    }));
    this.socket.write(Buffer.concat(commands.map((command) => encodeCommand(command))));
    return Promise.all(replies);
  }

  sendEncoded(bytes: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure !== undefined) { reject(this.failure); return; }
      this.waiters.push({ resolve, reject });
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    for (;;) {
      if (offset >= this.pending.length) break;
      let parsed: { reply: Reply; end: number } | undefined;
      try {
        parsed = parseReply(this.pending, offset);
      } catch (error) {
        this.fail(error as Error);
        this.socket.destroy();
        return;
      }
      if (parsed === undefined) break;
      offset = parsed.end;
      if (parsed.reply.type === 'push') { this.pushes.push(parsed.reply); continue; }
      const waiter = this.waiters.shift();
      if (waiter === undefined) { this.fail(new Error(`unexpected reply ${formatReply(parsed.reply)}`)); return; }
      waiter.resolve(parsed.reply);
    }
    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
  }

  private fail(error: Error): void {
    if (this.failure === undefined) this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}

function formatBytes(bytes: Buffer): string {
  return JSON.stringify(bytes.toString('latin1'));
}

export function formatReply(reply: Reply): string {
  switch (reply.type) {
    case 'simple': return `+${reply.value}`;
    case 'error': return `-${reply.value}`;
    case 'integer': return `:${reply.value}`;
    case 'bulk': return formatBytes(reply.value);
    case 'verbatim': return `=${formatBytes(reply.value)}`;
    case 'null-bulk': return '$-1';
    case 'null-array': return '*-1';
    case 'null': return '_';
    case 'double': return `,${reply.value}`;
    case 'boolean': return `#${reply.value ? 't' : 'f'}`;
    case 'bignum': return `(${reply.value}`;
    case 'array': return `[${reply.value.map(formatReply).join(', ')}]`;
    case 'set': return `~{${reply.value.map(formatReply).join(', ')}}`;
    case 'push': return `>[${reply.value.map(formatReply).join(', ')}]`;
    case 'map': return `%{${reply.value.map(([key, value]) => `${formatReply(key)}: ${formatReply(value)}`).join(', ')}}`;
  }
}

/** Bulk or simple reply as a Buffer (for keys in SCAN/KEYS pages); throws on anything else. */
export function replyBytes(reply: Reply): Buffer {
  if (reply.type === 'bulk' || reply.type === 'verbatim') return reply.value;
  if (reply.type === 'simple' || reply.type === 'double') return Buffer.from(reply.value);
  throw new Error(`expected a string reply, got ${formatReply(reply)}`);
}

export function replyItems(reply: Reply): Reply[] {
  if (reply.type === 'array' || reply.type === 'set' || reply.type === 'push') return reply.value;
  throw new Error(`expected an array reply, got ${formatReply(reply)}`);
}
