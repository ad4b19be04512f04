// src/net/output-limit.ts: Redis's client output buffer limits (src/networking.c
// checkClientOutputBufferLimits) for one connection: past the hard limit the client is closed at
// once; past the soft limit it is closed once it has stayed past it for longer than the soft
// seconds. Zero bytes means no such limit.
// Invariants:
// - Only observations move the state: a sample under the soft limit forgets when it was first
//   passed, so the soft seconds count an unbroken stretch over it (as far as samples show).
// - verdict() is pure in its inputs (bytes, limit, clock): the connection samples on every
//   message it queues and once more when the soft seconds are due (a timer), as Redis samples on
//   every reply and in clientsCron. The normal class is sampled after each batch of parts of a
//   streamed reply (dispatch/reply-stream.ts), the one reply that grows a normal client's output
//   over time (others are built whole; Redis's default normal limit is 0 0 0, none).
import type { OutputBufferLimit } from '../ops/config.js';

export type OutputVerdict = 'ok' | 'soft-pending' | 'close-soft' | 'close-hard';

export class OutputLimitWatch {
  private softSinceMs = 0; // when the soft limit was first seen passed, 0 = not passed

  verdict(usedBytes: number, limit: OutputBufferLimit, nowMs: number): OutputVerdict {
    if (limit.hardBytes > 0 && usedBytes >= limit.hardBytes) return 'close-hard';
    if (limit.softBytes === 0 || usedBytes < limit.softBytes) {
      this.softSinceMs = 0;
      return 'ok';
    }
    if (this.softSinceMs === 0) {
      this.softSinceMs = nowMs;
      return 'soft-pending';
    }
    return nowMs - this.softSinceMs > limit.softSeconds * 1000 ? 'close-soft' : 'soft-pending';
  }

  /** Milliseconds until a soft limit passed now would close the client (for the re-check timer). */
  softDueInMs(limit: OutputBufferLimit, nowMs: number): number {
    return Math.max(0, this.softSinceMs + limit.softSeconds * 1000 - nowMs) + 1;
  }
}
