// src/commands/pubsub.ts: the pubsub family (Redis 7.0 src/pubsub.c): SUBSCRIBE UNSUBSCRIBE
// PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP)
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH. Subscriptions and delivery are src/dispatch/pubsub.ts's;
// what a RESP2 subscriber may still run is dispatch.ts's check; PING's subscribed-mode reply and
// RESET's unsubscribing are in connection.ts.
// Invariants:
// - (P|S)(UN)SUBSCRIBE answer with one frame per name (`*3` in RESP2, a `>3` push in RESP3):
//   kind, name, then the client's count afterwards (channels + patterns; shard channels alone
//   for the S forms). With no names, UN(P|S)SUBSCRIBE goes through every subscription, or
//   answers one frame with a null name when there is none.
// - A client holds at most limits.subscriptionsPerClientMax subscriptions; a SUBSCRIBE that could
//   pass it is refused whole, before it subscribes to anything.
// - PUBLISH answers how many subscribers (channel and pattern ones) it was sent to; the messages
//   themselves leave as pubsub.ts says, after the publisher's own reply when it subscribes too.
import { CommandError, unknownSubcommand } from '../dispatch/errors.js';
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { PubSub, type ChannelKind } from '../dispatch/pubsub.js';
import { limits } from '../ops/config.js';

export const PUBSUB_ERRORS = {
  shardInExec: "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
  tooMany: `ERR too many subscriptions for this client (at most ${limits.subscriptionsPerClientMax})`,
} as const;

const HELP_LINES = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

/** One subscription frame: kind, name (null for none), the count after. */
function subscriptionFrame(ctx: CommandContext, kind: string, name: Buffer | undefined, count: number): void {
  ctx.out.pushHeader(3);
  ctx.out.bulk(kind);
  if (name === undefined) ctx.out.nullBulk();
  else ctx.out.bulk(name);
  ctx.out.integer(count);
}

function checkRoom(ctx: CommandContext, adding: number): void {
  if (PubSub.totalCount(ctx.client) + adding > limits.subscriptionsPerClientMax) throw new CommandError(PUBSUB_ERRORS.tooMany);
}

function subscribe(kind: ChannelKind) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const { client, server } = ctx;
    if (kind === 'shard' && client.inExec) throw new CommandError(PUBSUB_ERRORS.shardInExec); // SUBSCRIBE passes in MULTI, as in Redis
    checkRoom(ctx, args.length - 1);
    const count = kind === 'shard' ? PubSub.shardCount : PubSub.clientCount;
    for (let index = 1; index < args.length; index++) {
      server.pubsub.subscribe(client, kind, args[index] as Buffer);
      subscriptionFrame(ctx, kind === 'shard' ? 'ssubscribe' : 'subscribe', args[index] as Buffer, count(client));
    }
  };
}

function unsubscribe(kind: ChannelKind) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    const { client, server } = ctx;
    const word = kind === 'shard' ? 'sunsubscribe' : 'unsubscribe';
    const count = kind === 'shard' ? PubSub.shardCount : PubSub.clientCount;
    const own = kind === 'shard' ? client.subscriptions?.shardChannels : client.subscriptions?.channels;
    const names = args.length > 1 ? args.slice(1) : [...(own?.values() ?? [])];
    if (names.length === 0) return subscriptionFrame(ctx, word, undefined, count(client));
    for (const name of names) {
      server.pubsub.unsubscribe(client, kind, name);
      subscriptionFrame(ctx, word, name, count(client));
    }
  };
}

function psubscribe(ctx: CommandContext, args: Buffer[]): void {
  checkRoom(ctx, args.length - 1);
  for (let index = 1; index < args.length; index++) {
    ctx.server.pubsub.psubscribe(ctx.client, args[index] as Buffer);
    subscriptionFrame(ctx, 'psubscribe', args[index] as Buffer, PubSub.clientCount(ctx.client));
  }
}

function punsubscribe(ctx: CommandContext, args: Buffer[]): void {
  const { client, server } = ctx;
  const names = args.length > 1 ? args.slice(1) : [...(client.subscriptions?.patterns.values() ?? [])];
  if (names.length === 0) return subscriptionFrame(ctx, 'punsubscribe', undefined, PubSub.clientCount(client));
  for (const name of names) {
    server.pubsub.punsubscribe(client, name);
    subscriptionFrame(ctx, 'punsubscribe', name, PubSub.clientCount(client));
  }
}

function publish(kind: ChannelKind) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    ctx.out.integer(ctx.server.pubsub.publish(kind, args[1] as Buffer, args[2] as Buffer));
  };
}

/** addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: Buffer[]): CommandError {
  const sub = (args[1] as Buffer).toString('latin1').slice(0, 128).replace(/[\r\n]/g, ' ');
  return new CommandError(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try PUBSUB HELP.`);
}

function channels(kind: ChannelKind) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    if (args.length > 3) throw subcommandSyntaxError(args);
    const names = ctx.server.pubsub.activeChannels(kind, args[2]);
    ctx.out.arrayHeader(names.length);
    for (const name of names) ctx.out.bulk(name);
  };
}

function numsub(kind: ChannelKind) {
  return (ctx: CommandContext, args: Buffer[]): void => {
    ctx.out.arrayHeader((args.length - 2) * 2);
    for (let index = 2; index < args.length; index++) {
      ctx.out.bulk(args[index] as Buffer);
      ctx.out.integer(ctx.server.pubsub.subscriberCount(kind, args[index] as Buffer));
    }
  };
}

const base = { firstKey: 0, lastKey: 0, keyStep: 0, group: 'pubsub' } as const;
const SUBSCRIBING = ['pubsub', 'noscript', 'loading', 'stale'] as const;
const PUBLISHING = ['pubsub', 'loading', 'stale', 'fast'] as const;
const INTROSPECTION = ['pubsub', 'loading', 'stale'] as const;
/** Shard channels are keys to COMMAND INFO (the slot they hash to), with Redis's not_key specs (no GETKEYS). */
const SHARD_KEYS = { firstKey: 1, lastKey: -1, keyStep: 1 } as const;

export const pubsubCommands: CommandSpec[] = [
  { ...base, name: 'subscribe', arity: -2, flags: SUBSCRIBING, summary: 'Listens for messages published to channels.', since: '2.0.0', handler: subscribe('channel') },
  { ...base, name: 'unsubscribe', arity: -1, flags: SUBSCRIBING, summary: 'Stops listening to messages posted to channels.', since: '2.0.0', handler: unsubscribe('channel') },
  { ...base, name: 'psubscribe', arity: -2, flags: SUBSCRIBING, summary: 'Listens for messages published to channels that match one or more patterns.', since: '2.0.0', handler: psubscribe },
  { ...base, name: 'punsubscribe', arity: -1, flags: SUBSCRIBING, summary: 'Stops listening to messages published to channels that match one or more patterns.', since: '2.0.0', handler: punsubscribe },
  { ...base, name: 'publish', arity: 3, flags: PUBLISHING, summary: 'Posts a message to a channel.', since: '2.0.0', handler: publish('channel') },
  { ...base, ...SHARD_KEYS, name: 'ssubscribe', arity: -2, flags: SUBSCRIBING, summary: 'Listens for messages published to shard channels.', since: '7.0.0', handler: subscribe('shard') },
  { ...base, ...SHARD_KEYS, name: 'sunsubscribe', arity: -1, flags: SUBSCRIBING, summary: 'Stops listening to messages posted to shard channels.', since: '7.0.0', handler: unsubscribe('shard') },
  { ...base, ...SHARD_KEYS, lastKey: 1, name: 'spublish', arity: 3, flags: PUBLISHING, summary: 'Post a message to a shard channel', since: '7.0.0', handler: publish('shard') },
  {
    ...base, name: 'pubsub', arity: -2, flags: [], summary: 'A container for Pub/Sub commands.', since: '2.8.0',
    handler: (_ctx, args) => {
      throw new CommandError(unknownSubcommand(args[1] ?? Buffer.alloc(0), 'pubsub'));
    },
    subcommands: [
      { ...base, name: 'channels', arity: -2, flags: INTROSPECTION, summary: 'Returns the active channels.', since: '2.8.0', handler: channels('channel') },
      { ...base, name: 'numsub', arity: -2, flags: INTROSPECTION, summary: 'Returns a count of subscribers to channels.', since: '2.8.0', handler: numsub('channel') },
      {
        ...base, name: 'numpat', arity: 2, flags: INTROSPECTION, summary: 'Returns a count of unique pattern subscriptions.', since: '2.8.0',
        handler: (ctx) => ctx.out.integer(ctx.server.pubsub.patternCount()),
      },
      { ...base, name: 'shardchannels', arity: -2, flags: INTROSPECTION, summary: 'Returns the active shard channels.', since: '7.0.0', handler: channels('shard') },
      { ...base, name: 'shardnumsub', arity: -2, flags: INTROSPECTION, summary: 'Returns the count of subscribers of shard channels.', since: '7.0.0', handler: numsub('shard') },
      {
        ...base, name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Returns helpful text about the different subcommands.', since: '6.2.0',
        handler: (ctx) => {
          ctx.out.arrayHeader(HELP_LINES.length);
          for (const line of HELP_LINES) ctx.out.simple(line);
        },
      },
    ],
  },
];
