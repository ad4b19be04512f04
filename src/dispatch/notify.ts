// src/dispatch/notify.ts: keyspace notifications (Redis 7.0 src/notify.c notifyKeyspaceEvent),
// published through Pub/Sub when `notify-keyspace-events` enables their class:
//   __keyspace@<db>__:<key>    message <event>      (K)
//   __keyevent@<db>__:<event>  message <key>        (E)
// keyspace first, then keyevent, as Redis publishes them.
//
// How a command family calls it, after the write is staged, with Redis's class and event name
// (read the notifyKeyspaceEvent calls in Redis's t_<type>.c):
//   import { EVENT, notify } from '../dispatch/notify.js';
//   notify(ctx, EVENT.list, 'lpush', key);              // the client's db
//   notifyIn(ctx, targetDb, EVENT.generic, 'move_to', key);
//   if (emptied) notify(ctx, EVENT.generic, 'del', key); // the key went away
// Replicas: a primary keeping a backlog records every event, whatever its own config says, for
// its replicas (replication/keyspace-events.ts); a replica publishes the events of each batch it
// applies (publishReplicatedEvents) by its own config, once the batch is durable there.
// Invariants:
// - With notifications off (the default '') and no replica, a call costs two tests of a flag.
// - 'expired' comes from the keyspace itself (onKeyExpired, installed by ServerState), whichever
//   path removed the key: a lookup, a write over it, the active expiry cycle.
// - Messages wait for the commit of the writes they describe (pubsub.ts).
import { KEYSPACE_EVENT } from '../ops/config-values.js';
import type { KeyspaceEvent } from '../replication/keyspace-events.js';
import type { PubSub } from './pubsub.js';

/** Event classes (Redis's NOTIFY_*): a command's event belongs to one of them. */
export const EVENT = KEYSPACE_EVENT;

/** What notify needs of the server (ServerState has it; no import of it here, to keep no loop). */
export interface NotifyTarget {
  readonly config: { readonly notifyKeyspaceEvents: number };
  readonly pubsub: PubSub;
}

const KEYSPACE_PREFIX = '__keyspace@';
const KEYEVENT_PREFIX = '__keyevent@';

/** A keyspace event in the client's current db. */
export function notify(ctx: { readonly server: NotifyTarget; readonly client: { readonly db: number } }, type: number, event: string, key: Buffer): void {
  if ((ctx.server.config.notifyKeyspaceEvents & type) === 0 && ctx.server.pubsub.keyspaceEventLog?.recording !== true) return;
  publishKeyspaceEvent(ctx.server, type, event, key, ctx.client.db);
}

/** A keyspace event in another db (MOVE's move_to, COPY ... DB's copy_to). */
export function notifyIn(ctx: { readonly server: NotifyTarget }, db: number, type: number, event: string, key: Buffer): void {
  if ((ctx.server.config.notifyKeyspaceEvents & type) === 0 && ctx.server.pubsub.keyspaceEventLog?.recording !== true) return;
  publishKeyspaceEvent(ctx.server, type, event, key, db);
}

/** notifyKeyspaceEvent: both channels as enabled; nothing when no one subscribes at all. */
export function publishKeyspaceEvent(server: NotifyTarget, type: number, event: string, key: Buffer, db: number): void {
  const log = server.pubsub.keyspaceEventLog;
  if (log?.recording === true) log.record(type, event, key, db);
  publishEvent(server, type, event, key, db, undefined);
}

/** A replica applied a batch of its primary's: its events, published once durable is. */
export function publishReplicatedEvents(server: NotifyTarget, events: readonly KeyspaceEvent[], durable: Promise<unknown>): void {
  for (const { type, event, key, db } of events) publishEvent(server, type, event, key, db, durable);
}

function publishEvent(server: NotifyTarget, type: number, event: string, key: Buffer, db: number, after: Promise<unknown> | undefined): void {
  const flags = server.config.notifyKeyspaceEvents;
  if ((flags & type) === 0 || !server.pubsub.hasSubscribers()) return;
  const eventBytes = Buffer.from(event, 'latin1');
  if (flags & EVENT.keyspace) server.pubsub.publish('channel', Buffer.concat([Buffer.from(`${KEYSPACE_PREFIX}${db}__:`, 'latin1'), key]), eventBytes, after);
  if (flags & EVENT.keyevent) server.pubsub.publish('channel', Buffer.from(`${KEYEVENT_PREFIX}${db}__:${event}`, 'latin1'), key, after);
}
