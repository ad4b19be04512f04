// test/helpers/byte-socket.ts: a raw connection that keeps every byte it receives, for tests that
// compare a stream exactly (Pub/Sub messages interleaved with replies, RESP2 or RESP3) and wait
// for what must arrive next. Every wait is bounded in time and rejects when it runs out.
import net from 'node:net';
import { encodeCommand } from './raw-client.js';

export class ByteSocket {
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      this.receivedBytes += chunk.length;
    });
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => {
      this.closedFlag = true;
      resolve();
    }));
  }

  static connect(port: number): Promise<ByteSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(new ByteSocket(socket)));
      socket.once('error', reject);
    });
  }

  send(args: readonly (string | Buffer)[]): void {
    this.socket.write(encodeCommand(args));
  }

  bytes(): Buffer {
    if (this.received.length > 1) this.received = [Buffer.concat(this.received)];
    return this.received[0] ?? Buffer.alloc(0);
  }

  text(): string {
    return this.bytes().toString('latin1');
  }

  byteCount(): number {
    return this.receivedBytes;
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.received = [];
  }

  closed(): boolean {
    return this.closedFlag;
  }

  /** Resolves once the socket closed, or rejects after timeoutMs. */
  async waitClosed(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until what was received (since clear) ends with one of the texts. */
  async waitForEnd(endings: readonly string[], timeoutMs = 3000): Promise<void> {
    const stopAt = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      if (endings.some((ending) => text.endsWith(ending))) return;
      if (Date.now() > stopAt) throw new Error(`waited ${timeoutMs} ms for ${JSON.stringify(endings)}; have ${JSON.stringify(text.slice(-300))}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Waits until what was received (since clear) holds count occurrences of the texts together. */
  async waitForCount(texts: readonly string[], count: number, timeoutMs = 3000): Promise<void> {
    const stopAt = Date.now() + timeoutMs;
    const occurrences = () => texts.reduce((sum, text) => sum + this.text().split(text).length - 1, 0);
    while (occurrences() < count) {
      if (Date.now() > stopAt) throw new Error(`waited ${timeoutMs} ms for ${count} of ${JSON.stringify(texts)}; have ${JSON.stringify(this.text().slice(-300))}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Waits until what was received (since clear) contains text. */
  async waitForText(text: string, timeoutMs = 3000): Promise<void> {
    const stopAt = Date.now() + timeoutMs;
    while (!this.text().includes(text)) {
      if (Date.now() > stopAt) throw new Error(`waited ${timeoutMs} ms for ${JSON.stringify(text)}; have ${JSON.stringify(this.text().slice(-300))}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
