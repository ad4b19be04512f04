// storage/file-lock.ts: the LOCK that keeps a second process off a data directory (invariant 20).
// The lock is the kernel's: an exclusive lock on LOCK's open file description, taken without
// waiting through fs-native-extensions (fcntl F_OFD_SETLK on Linux, flock on macOS). The kernel
// drops it when the descriptor closes, and so when the process dies, however it dies: a server
// killed with -9 frees its directory at once, even while its parent has not reaped it (a zombie
// holds no descriptors). It holds across containers sharing a volume on one host.
// The file's content only names the holder, for the error a second process reports:
//   {"pid":1234,"host":"web-1","startedAt":"2026-01-01T00:00:00.000Z"}\n
// (startedAt: when the holding process started.)
// Invariants:
// - Whether the directory is taken is the kernel lock's state alone, never the content: a LOCK
//   naming a live unrelated pid (pids are reused after a reboot, or in a new container) blocks
//   nothing; the content is rewritten once the lock is ours.
// - LOCK is never removed: after an unlink, a process that opened the old file and one that
//   created a new one could both hold "the" lock. Release empties it, then closes the descriptor.
// - The lock belongs to one descriptor: a second lock of the same file fails in this process too.
import * as nodeFs from 'node:fs';
import { hostname } from 'node:os';
import nativeFs from 'fs-native-extensions';
import { LockedError, type LockHolder } from './errors.js';

/** Bytes of LOCK read to name its holder; the content written is far shorter. */
export const LOCK_CONTENT_BYTES_MAX = 4096;


/** A held lock; release() gives it back (and closes its descriptor). */
export interface FileLock {
  release(): void;
}

export function currentLockHolder(): LockHolder {
  return { pid: process.pid, host: hostname(), startedAt: new Date(performance.timeOrigin).toISOString() };
}

export function encodeLockHolder(holder: LockHolder): Buffer {
  return Buffer.from(`${JSON.stringify({ pid: holder.pid, host: holder.host, startedAt: holder.startedAt })}\n`);
}

/** The holder a LOCK's content names; undefined when it names none (empty, cut short, foreign). */
export function decodeLockHolder(content: Buffer): LockHolder | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { pid, host, startedAt } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || typeof host !== 'string' || typeof startedAt !== 'string') return undefined;
  return { pid: pid as number, host, startedAt };
}

/** Takes LOCK at path (created if missing) or throws LockedError naming its holder. */
export function lockFile(path: string): FileLock {
  const fd = nodeFs.openSync(path, nodeFs.constants.O_RDWR | nodeFs.constants.O_CREAT, 0o644);
  try {
    if (!tryLock(fd)) throw new LockedError(path, readHolder(fd));
    const content = encodeLockHolder(currentLockHolder());
    nodeFs.ftruncateSync(fd, 0);
    nodeFs.writeSync(fd, content, 0, content.length, 0);
  } catch (error) {
    nodeFs.closeSync(fd);
    throw error;
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      try {
        nodeFs.ftruncateSync(fd, 0); // still ours: no one else can be writing a name into it
      } finally {
        nodeFs.closeSync(fd); // drops the lock
      }
    },
  };
}

function tryLock(fd: number): boolean {
  try {
    return nativeFs.tryLock(fd);
  } catch (error) {
    // fcntl may report a conflicting lock as EACCES rather than EAGAIN (POSIX allows both)
    if ((error as NodeJS.ErrnoException).code === 'EACCES') return false;
    throw error;
  }
}

function readHolder(fd: number): LockHolder | undefined {
  const buffer = Buffer.alloc(LOCK_CONTENT_BYTES_MAX);
  return decodeLockHolder(buffer.subarray(0, nodeFs.readSync(fd, buffer, 0, buffer.length, 0)));
}
