// src/net/socket-reader.ts: how an accepted socket's bytes reach its Connection.
// Node's usual path ('data' events) allocates a 64 KiB buffer per read, shrinks it to the bytes
// read, wraps it in a Buffer and runs it through the Readable stream before the listener sees it.
// net.Socket's `onread` option skips all of that: the handle reads into a buffer we give it and
// calls us with the byte count. Node offers `onread` only for sockets it creates, so an accepted
// socket (the server runs with pauseOnConnect, so nothing was read yet) is re-wrapped: a new
// net.Socket takes over its handle. Where the handle lacks useUserBuffer (another runtime or Node
// version), the socket keeps its 'data' events: same bytes, slower.
// Invariants:
// - The sink sees each chunk once, in order, and says whether it still references the chunk's
//   bytes when it returns (unparsed input held, a reply queued by reference). The next read then
//   goes to a new buffer, so bytes in use are never overwritten; otherwise the buffer is reused.
// - Pausing and resuming the returned socket still stops and restarts reading (net.Socket's
//   pause/resume handle user buffers), so the Connection's bounds work unchanged.
// - The server's connection count moves to the new socket (it is decremented when that closes).
// - The socket allows half-open connections (as the listener's server does): the peer's EOF is an
//   'end' event and the write side stays open until the owner ends it, so replies to what the
//   peer sent before its FIN can still go out.
import net from 'node:net';

/** Size of the buffer each read lands in: as Node's own per-read buffer. */
export const READ_BUFFER_BYTES = 64 * 1024;

/** Called once per read; returns true while it still references bytes of `chunk`. */
export type ChunkSink = (chunk: Buffer) => boolean;

interface NodeSocketInternals {
  _handle?: { useUserBuffer?: unknown } | null;
  _server?: net.Server | null;
  server?: net.Server | null;
}

/** Whether sockets of this Node can be read into our own buffers (see the header). */
export function userBufferReadsSupported(socket: net.Socket): boolean {
  const handle = (socket as unknown as NodeSocketInternals)._handle;
  return handle !== undefined && handle !== null && typeof handle.useUserBuffer === 'function';
}

/**
 * Starts delivering `socket`'s bytes to `sink` and returns the socket to use from now on (a new
 * one when it reads into user buffers). `socket` must be paused and have read nothing yet.
 */
export function readInto(socket: net.Socket, sink: ChunkSink): net.Socket {
  if (!userBufferReadsSupported(socket)) {
    socket.on('data', (chunk: Buffer) => {
      sink(chunk); // a fresh buffer per read: nothing to protect
    });
    socket.resume();
    return socket;
  }
  const internals = socket as unknown as NodeSocketInternals;
  let buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  let retained = false;
  const options = {
    handle: internals._handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    onread: {
      buffer: (): Uint8Array => {
        if (retained) {
          buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
          retained = false;
        }
        return buffer;
      },
      callback: (bytes: number, target: Uint8Array): boolean => {
        retained = sink(Buffer.from(target.buffer, target.byteOffset, bytes));
        return true; // keep reading; the Connection pauses the socket itself
      },
    },
  };
  const adopted = new net.Socket(options as net.SocketConstructorOpts);
  const adoptedInternals = adopted as unknown as NodeSocketInternals;
  adoptedInternals._server = internals._server ?? null;
  adoptedInternals.server = internals.server ?? null;
  internals._server = null;
  internals.server = null;
  adopted.resume();
  return adopted;
}
