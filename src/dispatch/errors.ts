// src/dispatch/errors.ts: the one place error replies are made: the error a command handler
// throws (CommandError), and the texts for a protocol error, a refused commit and a refused
// connection. `new CommandError('ERR syntax error')` becomes `-ERR syntax error\r\n`: the message
// starts with Redis's error code word (ERR, WRONGTYPE, NOAUTH, ...), exactly as clients match it.
// Invariants:
// - The message never holds CR or LF (the constructor replaces them by spaces), so it is one line.
// - Only dispatch.ts turns a CommandError into a reply; any other exception from a handler is a bug.
// - net/ writes no error text of its own: it asks this file for it.
export class CommandError extends Error {
  override name = 'CommandError';
  readonly code = 'ERR_COMMAND';
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/[\r\n]/g, ' '), options);
  }
}

/**
 * A reply decided after its handler returned (WAIT's count): the handler writes nothing and sets
 * server.replyWaitsFor to a promise that rejects with one of these; the connection then writes
 * bytes in the reply's place. Not an error the client sees.
 */
export class LateReply extends Error {
  override name = 'LateReply';
  constructor(readonly bytes: Buffer) {
    super('a reply decided late');
  }
}

/** Redis's shared error texts (src/server.c createSharedObjects, networking.c), word for word. */
export const ERRORS = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  noAuth: 'NOAUTH Authentication required.',
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  noPasswordSet:
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  noProto: 'NOPROTO unsupported protocol version',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  maxClients: 'ERR max number of clients reached',
} as const;

/** What a client from outside loopback gets while protected mode is on (Redis's text, tskv's name). */
export const PROTECTED_MODE_TEXT =
  'DENIED tskv is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to tskv ' +
  'you may adopt one of the following solutions: 1) Just disable protected mode sending the command ' +
  "'CONFIG SET protected-mode no' from the loopback interface by connecting to tskv from the same host the server is running, " +
  'however MAKE SURE tskv is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  "2) Alternatively you can just disable the protected mode by editing the tskv configuration file, and setting the protected mode option to 'no', " +
  "and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server ' +
  'to start accepting connections from the outside.';

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/** `ERR unknown command 'foo', with args beginning with: 'a' 'b' ` (Redis caps the arg list near 128 bytes). */
export function unknownCommand(args: readonly Buffer[]): string {
  const name = sanitize((args[0] ?? Buffer.alloc(0)).toString('latin1'), 128);
  let text = '';
  for (let index = 1; index < args.length && text.length < 128; index++) {
    const room = 128 - text.length;
    text += `'${sanitize((args[index] as Buffer).toString('latin1'), room)}' `;
  }
  return `ERR unknown command '${name}', with args beginning with: ${text}`;
}

export function unknownSubcommand(subcommand: Buffer, container: string): string {
  return `ERR unknown subcommand '${sanitize(subcommand.toString('latin1'), 128)}'. Try ${container.toUpperCase()} HELP.`;
}

/**
 * The reply to a command whose read met a storage error (a damaged SSTable block, a missing file):
 * the command fails, the server goes on (tskv's own text: Redis reads no disk while serving).
 */
export function storageReadError(message: string): string {
  return `ERR Error reading from disk: ${sanitize(message, 512)}`;
}

/** MISCONF text for a write the engine could not make durable (contract: tskv-src-contracts.md). */
export function misconf(reason: string): string {
  return `MISCONF Errors writing to disk: ${reason}. Commands that may modify the data set are disabled`;
}

function sanitize(text: string, lengthMax: number): string {
  const cut = text.length > lengthMax ? text.slice(0, lengthMax) : text;
  return cut.replace(/[\r\n]/g, ' ');
}

/**
 * A refused commit (the engine failed the write): every reply that waited for it says this. A
 * CommandError is a reply decided after the command ran (server.replyWaitsFor: MIGRATE): its own text.
 */
export function commitFailureText(error: unknown): string {
  if (error instanceof CommandError) return error.message;
  const reason = error instanceof Error ? error.message : String(error);
  return misconf(reason);
}

/** A request the protocol reader refused (RespProtocolError's message is Redis's, e.g. 'Protocol error: ...'). */
export function protocolErrorText(error: Error): string {
  return `ERR ${error.message}`;
}

/** An error reply as bytes, for what is written outside a RespWriter (refused connections, failed commits). */
export function errorReplyBytes(text: string, repeat = 1): Buffer {
  return Buffer.from(`-${text}\r\n`.repeat(repeat));
}
