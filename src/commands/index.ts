// src/commands/index.ts: gathers every command family into the one command table.
// Invariants:
// - registerAllCommands() runs once per process, before the first connection is accepted.
// - Each family file exports one `xxxCommands: CommandSpec[]`; a name defined twice is a bug
//   (defineCommands asserts).
import { defineCommands } from '../dispatch/command-table.js';
import { clientCommands } from './client.js';
import { clusterCommands } from './cluster.js';
import { clusterxCommands } from './clusterx.js';
import { migrateCommands } from './migrate.js';
import { connectionCommands } from './connection.js';
import { dumpCommands } from './dump.js';
import { expiryCommands } from './expiry.js';
import { infoCommands } from './info.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { memoryCommands } from './memory.js';
import { monitorCommands } from './monitor.js';
import { pubsubCommands } from './pubsub.js';
import { scanCommands } from './scan.js';
import { serverCommands } from './server.js';
import { replicationCommands } from './replication.js';
import { hashCommands } from './hashes.js';
import { listCommands } from './lists.js';
import { timeseriesCommands } from './timeseries.js';
import { setCommands } from './sets.js';
import { zsetCommands } from './zsets.js';
import { zsetRangeCommands } from './zset-ranges.js';
import { zsetCombineCommands } from './zset-combine.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import { slowlogCommands } from './slowlog.js';

let registered = false;

export function registerAllCommands(): void {
  if (registered) return;
  registered = true;
  defineCommands([
    ...connectionCommands,
    ...clientCommands,
    ...serverCommands,
    ...replicationCommands,
    ...infoCommands,
    ...introspectionCommands,
    ...stringCommands,
    ...hashCommands,
    ...listCommands,
    ...timeseriesCommands,
    ...setCommands,
    ...zsetCommands,
    ...zsetRangeCommands,
    ...zsetCombineCommands,
    ...keyCommands,
    ...dumpCommands,
    ...memoryCommands,
    ...monitorCommands,
    ...pubsubCommands,
    ...expiryCommands,
    ...scanCommands,
    ...transactionCommands,
    ...slowlogCommands,
    ...clusterCommands,
    ...clusterxCommands,
    ...migrateCommands,
  ]);
}
