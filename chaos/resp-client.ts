// chaos/resp-client.ts: a minimal pipelined RESP2 client for the chaos tools (node:net + redis-parser
// as the reply decoder). It does nothing clever on purpose: no reconnect, no retry, no queueing
// while disconnected, so the chaos checker knows exactly which commands got a reply.
// Invariants:
// - Replies are matched to commands strictly in send order (RESP2 without push messages).
// - When the connection ends, every command still waiting is rejected with ConnectionLostError:
//   the caller must treat it as "maybe applied".
// - An error reply (-ERR ..., -MISCONF ...) resolves as a ReplyErrorValue, it does not reject, so
//   the caller sees it in place inside EXEC arrays and pipelines alike.
import net from 'node:net';
import { createRequire } from 'node:module';

export type Reply = string | number | null | ReplyErrorValue | Buffer | Reply[];

export class ReplyErrorValue {
  constructor(readonly message: string) {}
  toString(): string {
    return `-${this.message}`;
  }
}

export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
  readonly code = 'ERR_CONNECTION_LOST';
}

interface RedisParser {
  execute(buffer: Buffer): void;
}
interface RedisParserOptions {
  returnReply(reply: unknown): void;
  returnError(error: Error): void;
  returnFatalError?(error: Error): void;
  returnBuffers?: boolean;
  stringNumbers?: boolean;
}
type RedisParserConstructor = new (options: RedisParserOptions) => RedisParser;
// redis-parser ships no types; a local constructor type keeps the ambient namespace clean.
const Parser = createRequire(import.meta.url)('redis-parser') as RedisParserConstructor;

interface Waiter {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RespClient {
  private readonly waiters: Waiter[] = [];
  private waiterHead = 0;
  private closedError: Error | undefined;
  private readonly parser: RedisParser;

  private constructor(readonly socket: net.Socket, returnBuffers: boolean) {
    this.parser = new Parser({
      returnReply: (reply) => this.settle(reply as Reply),
      returnError: (error) => this.settle(new ReplyErrorValue(error.message)),
      returnFatalError: (error) => {
        this.fail(new ConnectionLostError(`unparsable reply: ${error.message}`));
        socket.destroy();
      },
      returnBuffers,
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('error', (error) => this.fail(new ConnectionLostError(error.message)));
    socket.on('close', () => this.fail(new ConnectionLostError('connection closed')));
  }

  static connect(port: number, options: { host?: string; returnBuffers?: boolean; timeoutMs?: number } = {}): Promise<RespClient> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionLostError(`connect to ${host}:${port} timed out`));
      }, options.timeoutMs ?? 5_000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespClient(socket, options.returnBuffers ?? false));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get pendingCount(): number {
    return this.waiters.length - this.waiterHead;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Sends one command; resolves with its reply (an error reply resolves as ReplyErrorValue). */
  call(...args: (string | Buffer | number)[]): Promise<Reply> {
    return this.pipeline([args])[0]!;
  }

  /** Sends several commands in one socket write; one promise per command, in order. */
  pipeline(commands: readonly (readonly (string | Buffer | number)[])[]): Promise<Reply>[] {
    const promises = commands.map(
      () => new Promise<Reply>((resolve, reject) => this.enqueue({ resolve, reject })),
    );
    if (this.closedError === undefined) this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return promises;
  }

  close(): void {
    this.socket.destroy();
  }

  private enqueue(waiter: Waiter): void {
    if (this.closedError !== undefined) {
      waiter.reject(this.closedError);
      return;
    }
    this.waiters.push(waiter);
  }

  private settle(reply: Reply): void {
    const waiter = this.waiters[this.waiterHead];
    if (waiter === undefined) return; // an unsolicited reply: nothing waits for it
    this.waiters[this.waiterHead] = undefined as unknown as Waiter;
    this.waiterHead++;
    if (this.waiterHead > 1024 && this.waiterHead * 2 > this.waiters.length) {
      this.waiters.splice(0, this.waiterHead);
      this.waiterHead = 0;
    }
    waiter.resolve(reply);
  }

  private fail(error: Error): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    const waiting = this.waiters.slice(this.waiterHead);
    this.waiters.length = 0;
    this.waiterHead = 0;
    for (const waiter of waiting) waiter.reject(error);
  }
}

export function isReplyError(reply: Reply | undefined): reply is ReplyErrorValue {
  return reply instanceof ReplyErrorValue;
}
