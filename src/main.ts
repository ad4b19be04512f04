// src/main.ts: the tskv process. Parses redis-server style flags, opens the engine and the
// keyspace, registers the command table, listens, runs the active expiry cycle, and shuts down
// cleanly on SIGTERM / SIGINT.
// Invariants:
// - A bad or unknown flag prints one line to stderr and exits 1; --help prints usage, exits 0.
// - Shutdown: stop accepting, stop reading, send the replies of commands already run (their
//   commits settle first), close the engine (flushes and syncs the WAL), exit 0, all within
//   limits.shutdownMs; past that, or on a second signal, exit 1 at once.
import { pino } from 'pino';
import { Engine, type EngineLogLevel } from '../storage/index.js';
import { registerAllCommands } from './commands/index.js';
import { ConfigError, limits, parseArguments, type LogLevel, type ServerConfig } from './config.js';
import { DeadNamespaces, Keyspace } from './keyspace.js';
import { startActiveExpire } from './active-expire.js';
import { Listener } from './listener.js';
import { ServerState, TSKV_VERSION, type Logger } from './server-state.js';

const PINO_LEVEL: Record<LogLevel, string> = { debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent' };

function createLogger(config: ServerConfig): pino.Logger {
  return pino({ level: PINO_LEVEL[config.loglevel], base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true }));
}

function parseOrExit(): ServerConfig {
  try {
    const parsed = parseArguments(process.argv.slice(2));
    if (parsed.kind === 'help') {
      process.stdout.write(`${parsed.text}\n`);
      process.exit(0);
    }
    if (parsed.kind === 'version') {
      process.stdout.write(`tskv v=${TSKV_VERSION}\n`);
      process.exit(0);
    }
    return parsed.config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`tskv: ${error.message}\n`);
    process.exit(1);
  }
}

/** Redis's activeExpireCycle (src/active-expire.ts): bounded deletes of expired keys, committed. */
function startExpiry(state: ServerState): { stop(): void } {
  return startActiveExpire(state.keyspace, {
    intervalMs: limits.activeExpireIntervalMs,
    entriesPerTickMax: limits.activeExpireEntriesMax,
    canWrite: () => !state.shuttingDown && state.activeExpireEnabled && state.engine.failure() === undefined && state.engine.writeStallMs() === 0,
    onCommit: (commit) => void state.trackCommit(commit),
    onError: (error) => state.logger.warn({ error: String(error) }, 'active expiry could not commit'),
  });
}

function installSignalHandlers(state: ServerState, listener: Listener, expiry: { stop(): void }): void {
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) {
      state.logger.warn({ reason }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    state.shuttingDown = true;
    state.logger.info({ reason }, 'shutting down');
    const hardStop = setTimeout(() => {
      state.logger.error({ ms: limits.shutdownMs }, 'shutdown took too long: exiting now');
      process.exit(1);
    }, limits.shutdownMs);
    hardStop.unref();
    expiry.stop();
    await listener.close(Date.now() + limits.shutdownMs / 2);
    try {
      await state.engine.close();
    } catch (error) {
      state.logger.error({ error: String(error) }, 'engine close failed');
      process.exit(1);
    }
    state.logger.info({}, 'tskv is now ready to exit, bye bye');
    process.exit(0);
  };
  state.requestShutdown = (reason) => void shutdown(reason);
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const config = parseOrExit();
  const log = createLogger(config);
  const logger: Logger = log;
  const engineLogger = (level: EngineLogLevel, msg: string, fields: Record<string, unknown>) => logger[level](fields, msg);
  // HOOK(engine): pass deadNamespaces.filter as EngineOptions.compactionFilter once the engine takes it.
  const deadNamespaces = new DeadNamespaces();
  let engine: Engine;
  try {
    engine = await Engine.open({ dir: config.dir, syncPolicy: config.appendfsync, logger: engineLogger });
  } catch (error) {
    logger.error({ dir: config.dir, error: String(error) }, 'could not open the data directory');
    process.exit(1);
  }
  const keyspace = Keyspace.open(engine, { deadNamespaces });
  registerAllCommands();
  const state = new ServerState({ config, engine, keyspace, logger });
  state.setLogLevel = (level) => (log.level = PINO_LEVEL[level]);
  const listener = new Listener(state);
  let ports: number[];
  try {
    ports = await listener.listen();
  } catch (error) {
    logger.error({ bind: config.bind, port: config.port, error: String(error) }, 'could not listen');
    await engine.close();
    process.exit(1);
  }
  const expiry = startExpiry(state);
  installSignalHandlers(state, listener, expiry);
  logger.info(
    { version: TSKV_VERSION, bind: config.bind, port: ports[0], dir: config.dir, appendfsync: config.appendfsync },
    `tskv ${TSKV_VERSION} ready to accept connections on ${config.bind.join(' ')} port ${ports[0]} (dir ${config.dir}, appendfsync ${config.appendfsync})`,
  );
}

await main();
