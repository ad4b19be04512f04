// src/dispatch/pubsub.ts: Pub/Sub as Redis 7.0 has it (src/pubsub.c): who is subscribed to which
// channel, pattern and shard channel, and the delivery of messages. The commands are
// src/commands/pubsub.ts; keyspace notifications are published through here by notify.ts.
//
//   message   *3 / >3  "message"  channel message            (SUBSCRIBE)
//   pmessage  *4 / >4  "pmessage" pattern channel message    (PSUBSCRIBE, Redis's glob)
//   smessage  *3 / >3  "smessage" shardchannel message       (SSUBSCRIBE; patterns never see it)
//   RESP2 arrays (`*`) or RESP3 pushes (`>`), by the subscriber's protocol at delivery.
//
// Invariants:
// - The server's maps and each client's ClientSubscriptions hold the same pairs; a map entry
//   exists only while it has a subscriber; client.subscribed says whether the client has any.
// - Messages are not durable (Redis's are not either): a subscriber gets what is published while
//   it is connected, in publish order, through its connection's sendOutOfBand (after what it was
//   already owed; its output bounded by client-output-buffer-limit pubsub, net/output-limit.ts).
// - No subscriber sees a message before the writes it may describe are durable: a message
//   published while the current command (or active expiry) has staged writes waits for their
//   commit and is dropped if they are discarded or the commit fails (the keyspace's
//   onStagedSettled settles the gate); one published with nothing staged waits for the newest
//   pending commit, as a read's reply does; with none pending it is ready at once.
// - A name is a binary string: maps key it by its latin1 string, one char per byte.
import { globMatch } from '../../protocol/index.js';
import type { Keyspace } from '../keyspace/keyspace.js';
import type { KeyspaceEventLog } from '../replication/keyspace-events.js';
import type { ClientState, ClientSubscriptions } from './client-state.js';

export type ChannelKind = 'channel' | 'shard';

/** What a RESP2 client in Pub/Sub mode may run (Redis 7.0 processCommand); dispatch refuses the rest. */
export const SUBSCRIBED_MODE_COMMANDS: ReadonlySet<string> = new Set([
  'ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset',
]);

export function subscribedModeError(fullName: string): string {
  return `ERR Can't execute '${fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
}

interface Subscribers {
  readonly name: Buffer;
  readonly clients: Set<ClientState>; // in subscription order (Redis's list)
}

const WORDS = {
  message: Buffer.from('message'),
  pmessage: Buffer.from('pmessage'),
  smessage: Buffer.from('smessage'),
} as const;

/** `*n` or `>n` then each part as a bulk string: one message as its subscriber reads it. */
export function messageFrame(protocol: 2 | 3, parts: readonly Buffer[]): Buffer {
  const header = `${protocol === 3 ? '>' : '*'}${parts.length}\r\n`;
  let length = header.length;
  for (const part of parts) length += 1 + String(part.length).length + 2 + part.length + 2;
  const frame = Buffer.allocUnsafe(length);
  let offset = frame.write(header, 0, 'latin1');
  for (const part of parts) {
    offset += frame.write(`$${part.length}\r\n`, offset, 'latin1');
    offset += part.copy(frame, offset);
    offset += frame.write('\r\n', offset, 'latin1');
  }
  return frame;
}

/** `*3` / `>3`: kind, name, the client's count after: what an unsubscribe the server did sends. */
function unsubscribedFrame(protocol: 2 | 3, kind: string, name: Buffer, count: number): Buffer {
  const head = messageFrame(protocol, [Buffer.from(kind), name]);
  const header = `${protocol === 3 ? '>' : '*'}2\r\n`;
  return Buffer.concat([Buffer.from(`${protocol === 3 ? '>' : '*'}3\r\n`), head.subarray(header.length), Buffer.from(`:${count}\r\n`)]);
}

/** One message's frames, made once per protocol however many subscribers read it. */
class Frames {
  private resp2: Buffer | undefined;
  private resp3: Buffer | undefined;
  constructor(private readonly parts: readonly Buffer[]) {}
  for(protocol: 2 | 3): Buffer {
    if (protocol === 3) return (this.resp3 ??= messageFrame(3, this.parts));
    return (this.resp2 ??= messageFrame(2, this.parts));
  }
}

interface Gate {
  readonly promise: Promise<void>;
  resolve(durable: Promise<void>): void;
  reject(reason: Error): void;
}

export class PubSub {
  private readonly channels = new Map<string, Subscribers>();
  private readonly shardChannels = new Map<string, Subscribers>();
  private readonly patterns = new Map<string, Subscribers>();
  private gate: Gate | undefined; // what messages about the writes staged now wait for
  /** A primary's keyspace events for its replicas (set by main.ts): told when staged writes settle. */
  keyspaceEventLog: KeyspaceEventLog | undefined = undefined;

  constructor(
    private keyspace: Keyspace,
    private readonly pendingCommit: () => Promise<unknown> | undefined,
  ) {
    keyspace.onStagedSettled = (durable) => this.settleGate(durable);
  }

  /** A replica's full copy replaced the keyspace (src/replication/): the gate follows the new one. */
  useKeyspace(keyspace: Keyspace): void {
    this.keyspace = keyspace;
    keyspace.onStagedSettled = (durable) => this.settleGate(durable);
  }

  channelCount(): number {
    return this.channels.size;
  }

  patternCount(): number {
    return this.patterns.size;
  }

  shardChannelCount(): number {
    return this.shardChannels.size;
  }

  /** Whether anyone listens at all (keyspace notifications skip building channels when not). */
  hasSubscribers(): boolean {
    return this.channels.size > 0 || this.patterns.size > 0;
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel, patterns aside. */
  subscriberCount(kind: ChannelKind, channel: Buffer): number {
    return this.mapOf(kind).get(channel.toString('latin1'))?.clients.size ?? 0;
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS: the channels with a subscriber, matching pattern if given. */
  activeChannels(kind: ChannelKind, pattern: Buffer | undefined): Buffer[] {
    const names: Buffer[] = [];
    for (const { name } of this.mapOf(kind).values()) if (pattern === undefined || globMatch(pattern, name)) names.push(name);
    return names;
  }

  /** Channels + patterns of a client: the count SUBSCRIBE / PSUBSCRIBE replies carry. */
  static clientCount(client: ClientState): number {
    const own = client.subscriptions;
    return own === undefined ? 0 : own.channels.size + own.patterns.size;
  }

  /** Shard channels of a client: the count SSUBSCRIBE replies carry. */
  static shardCount(client: ClientState): number {
    return client.subscriptions?.shardChannels.size ?? 0;
  }

  static totalCount(client: ClientState): number {
    return PubSub.clientCount(client) + PubSub.shardCount(client);
  }

  /** SUBSCRIBE / SSUBSCRIBE one channel; false when the client already was. */
  subscribe(client: ClientState, kind: ChannelKind, channel: Buffer): boolean {
    const own = ownSubscriptions(client);
    return this.add(kind === 'shard' ? own.shardChannels : own.channels, this.mapOf(kind), client, channel);
  }

  psubscribe(client: ClientState, pattern: Buffer): boolean {
    return this.add(ownSubscriptions(client).patterns, this.patterns, client, pattern);
  }

  /** UNSUBSCRIBE / SUNSUBSCRIBE one channel; false when the client was not subscribed. */
  unsubscribe(client: ClientState, kind: ChannelKind, channel: Buffer): boolean {
    const own = client.subscriptions;
    if (own === undefined) return false;
    return this.remove(kind === 'shard' ? own.shardChannels : own.channels, this.mapOf(kind), client, channel.toString('latin1'));
  }

  punsubscribe(client: ClientState, pattern: Buffer): boolean {
    const own = client.subscriptions;
    if (own === undefined) return false;
    return this.remove(own.patterns, this.patterns, client, pattern.toString('latin1'));
  }

  /** RESET and disconnect: every subscription goes, without a reply. */
  unsubscribeAll(client: ClientState): void {
    const own = client.subscriptions;
    if (own === undefined) return;
    for (const name of [...own.channels.keys()]) this.remove(own.channels, this.channels, client, name);
    for (const name of [...own.shardChannels.keys()]) this.remove(own.shardChannels, this.shardChannels, client, name);
    for (const name of [...own.patterns.keys()]) this.remove(own.patterns, this.patterns, client, name);
    client.subscriptions = undefined;
    client.subscribed = false;
  }

  /**
   * Cluster mode, slots this node no longer serves (Redis's removeChannelsInSlot): every shard
   * channel `leaving` picks loses its subscribers, each told by a sunsubscribe frame (with its
   * shard channel count after). Returns how many channels went.
   */
  dropShardChannels(leaving: (channel: Buffer) => boolean): number {
    let dropped = 0;
    for (const [key, { name, clients }] of [...this.shardChannels]) {
      if (!leaving(name)) continue;
      dropped++;
      for (const client of [...clients]) {
        this.remove(ownSubscriptions(client).shardChannels, this.shardChannels, client, key);
        client.connection.sendOutOfBand(unsubscribedFrame(client.protocol, 'sunsubscribe', name, PubSub.shardCount(client)));
      }
    }
    return dropped;
  }

  /**
   * PUBLISH / SPUBLISH (pubsubPublishMessage): sends message to the channel's subscribers, then
   * (not for shard channels) to each client of each matching pattern; returns how many got it.
   * after: what the message waits for instead of the header's rule (a replica's applied batch).
   */
  publish(kind: ChannelKind, channel: Buffer, message: Buffer, after?: Promise<unknown>): number {
    let receivers = 0;
    let wait: Promise<unknown> | undefined | null = after ?? null; // null: not computed yet
    const subscribers = this.mapOf(kind).get(channel.toString('latin1'));
    if (subscribers !== undefined) {
      const frames = new Frames([kind === 'shard' ? WORDS.smessage : WORDS.message, channel, message]);
      if (wait === null) wait = this.messageWait();
      for (const client of subscribers.clients) {
        client.connection.sendOutOfBand(frames.for(client.protocol), wait);
        receivers++;
      }
    }
    if (kind === 'shard' || this.patterns.size === 0) return receivers;
    for (const { name: pattern, clients } of this.patterns.values()) {
      if (!globMatch(pattern, channel)) continue;
      const frames = new Frames([WORDS.pmessage, pattern, channel, message]);
      if (wait === null) wait = this.messageWait();
      for (const client of clients) {
        client.connection.sendOutOfBand(frames.for(client.protocol), wait);
        receivers++;
      }
    }
    return receivers;
  }

  private mapOf(kind: ChannelKind): Map<string, Subscribers> {
    return kind === 'shard' ? this.shardChannels : this.channels;
  }

  private add(own: Map<string, Buffer>, server: Map<string, Subscribers>, client: ClientState, name: Buffer): boolean {
    const key = name.toString('latin1');
    if (own.has(key)) return false;
    const bytes = Buffer.from(name); // arguments may be views of a read buffer that is reused
    own.set(key, bytes);
    let subscribers = server.get(key);
    if (subscribers === undefined) {
      subscribers = { name: bytes, clients: new Set() };
      server.set(key, subscribers);
    }
    subscribers.clients.add(client);
    client.subscribed = true;
    return true;
  }

  private remove(own: Map<string, Buffer>, server: Map<string, Subscribers>, client: ClientState, key: string): boolean {
    if (!own.delete(key)) return false;
    const subscribers = server.get(key);
    if (subscribers !== undefined) {
      subscribers.clients.delete(client);
      if (subscribers.clients.size === 0) server.delete(key); // an unsubscribed channel costs nothing
    }
    client.subscribed = PubSub.totalCount(client) > 0;
    return true;
  }

  /** What a message published now waits for (see the header); undefined: nothing. */
  private messageWait(): Promise<unknown> | undefined {
    if (this.keyspace.hasStaged()) return this.openGate();
    return this.pendingCommit();
  }

  private openGate(): Promise<void> {
    if (this.gate === undefined) {
      let resolve: ((durable: Promise<void>) => void) | undefined;
      let reject: ((reason: Error) => void) | undefined;
      const promise = new Promise<void>((onResolve, onReject) => {
        resolve = onResolve;
        reject = onReject;
      });
      promise.catch(() => undefined); // dropped messages are no unhandled rejection
      this.gate = { promise, resolve: resolve as (durable: Promise<void>) => void, reject: reject as (reason: Error) => void };
    }
    return this.gate.promise;
  }

  private settleGate(durable: Promise<void> | undefined): void {
    this.keyspaceEventLog?.settled(durable !== undefined);
    const gate = this.gate;
    if (gate === undefined) return;
    this.gate = undefined;
    if (durable === undefined) gate.reject(new Error('the writes this message is about were discarded'));
    else gate.resolve(durable);
  }
}

function ownSubscriptions(client: ClientState): ClientSubscriptions {
  return (client.subscriptions ??= { channels: new Map(), patterns: new Map(), shardChannels: new Map() });
}
