// src/dispatch/errors.ts: the error a command handler throws to answer with an error reply.
// `new CommandError('ERR syntax error')` becomes `-ERR syntax error\r\n`: the message starts with
// Redis's error code word (ERR, WRONGTYPE, NOAUTH, ...), exactly as clients match it.
// Invariants:
// - The message never holds CR or LF (the constructor replaces them by spaces), so it is one line.
// - Only dispatch.ts turns a CommandError into a reply; any other exception from a handler is a bug.
export class CommandError extends Error {
  override name = 'CommandError';
  readonly code = 'ERR_COMMAND';
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/[\r\n]/g, ' '), options);
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

/** MISCONF text for a write the engine could not make durable (contract: tskv-src-contracts.md). */
export function misconf(reason: string): string {
  return `MISCONF Errors writing to disk: ${reason}. Commands that may modify the data set are disabled`;
}

function sanitize(text: string, lengthMax: number): string {
  const cut = text.length > lengthMax ? text.slice(0, lengthMax) : text;
  return cut.replace(/[\r\n]/g, ' ');
}
