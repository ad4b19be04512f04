// src/net/listener.ts: the TCP listeners (one per --bind address) and the admission of clients:
// maxclients, protected mode, idle timeout; and the graceful close used on SIGTERM.
// Invariants:
// - A client over maxclients gets `-ERR max number of clients reached` and is closed at once,
//   without ever becoming a ClientState (Redis does the same in acceptCommonHandler): nothing is
//   read from it, and its socket is destroyed once the error is flushed (refuse).
// - In protected mode (on, no requirepass) a client from a non-loopback address gets the DENIED
//   text and is closed.
// - close() stops accepting, lets every connection send the replies of the commands it already
//   ran (their commits settle first), then ends the sockets; it resolves within the given time.
import net from 'node:net';
import { ERRORS, PROTECTED_MODE_TEXT, errorReplyBytes } from '../dispatch/errors.js';
import { limits } from '../ops/config.js';
import { Connection } from './connection.js';
import type { ServerState } from '../dispatch/server-state.js';

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Sends the error and closes the socket once it is flushed (or after closeAfterReplyMs), without
 * reading anything or waiting for the peer to hang up: a refused client keeps no fd.
 */
function refuse(socket: net.Socket, text: string): void {
  const timer = setTimeout(() => socket.destroy(), limits.closeAfterReplyMs);
  socket.once('close', () => clearTimeout(timer));
  socket.end(errorReplyBytes(text), () => socket.destroy());
}

export class Listener {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private cron: NodeJS.Timeout | undefined;

  constructor(private readonly state: ServerState) {}

  async listen(): Promise<number[]> {
    const { config } = this.state;
    const ports: number[] = [];
    for (const host of config.bind) {
      // paused: nothing is read before the Connection decides how to read (socket-reader.ts);
      // half-open: a client's FIN does not end our side before its replies are out
      const server = net.createServer({ noDelay: true, pauseOnConnect: true, allowHalfOpen: true }, (socket) => this.accept(socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: ports[0] ?? config.port, host, backlog: 511 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      if (typeof address === 'object' && address !== null) ports.push(address.port);
      this.servers.push(server);
    }
    this.state.listeningPorts = ports;
    this.cron = setInterval(() => {
      this.state.sampleOps();
      this.closeIdleClients();
    }, 1000);
    this.cron.unref();
    return ports;
  }

  private accept(socket: net.Socket): void {
    const { state } = this;
    state.stats.connectionsReceived++;
    socket.on('error', () => socket.destroy());
    if (state.shuttingDown) {
      socket.destroy();
      return;
    }
    if (state.clients.size >= state.config.maxclients) {
      state.stats.connectionsRejected++;
      refuse(socket, ERRORS.maxClients);
      return;
    }
    if (state.config.protectedMode && state.config.requirepass === '' && !isLoopback(socket.remoteAddress)) {
      state.stats.connectionsRejected++;
      state.logger.warn({ address: socket.remoteAddress }, 'refused a non-loopback client in protected mode');
      refuse(socket, PROTECTED_MODE_TEXT);
      return;
    }
    const connection = new Connection(state, socket, (closed) => {
      this.connections.delete(closed);
      state.clients.delete(closed.client.id);
    });
    this.connections.add(connection);
    state.clients.set(connection.client.id, connection.client);
  }

  /** Redis clientsCron: close clients idle for more than `timeout` seconds (0 = never); subscribers wait on. */
  private closeIdleClients(): void {
    const timeoutS = this.state.config.timeout;
    if (timeoutS <= 0) return;
    const nowMs = Date.now();
    for (const connection of this.connections) {
      const client = connection.client;
      if (client.subscribed) continue; // Redis: no timeout for Pub/Sub clients
      // Redis never times out a blocked client (clientsCronHandleTimeout)
      if (nowMs - client.lastInteractionMs > timeoutS * 1000 && connection.idle() && client.blocked === undefined) connection.destroy('idle timeout');
    }
  }

  /** Stops accepting; waits (at most deadlineMs) for every connection to send what it owes. */
  async close(deadlineMs: number): Promise<void> {
    if (this.cron) clearInterval(this.cron);
    for (const server of this.servers) server.close();
    for (const connection of this.connections) connection.stopReading();
    const owing = () => [...this.connections].some((connection) => !connection.drained());
    while (owing() && Date.now() < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const connection of this.connections) connection.destroy('shutdown');
  }
}
