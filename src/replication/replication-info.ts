// src/replication/replication-info.ts: what INFO replication and ROLE say, as Redis 7.0 says it
// (src/server.c genRedisInfoString, src/replication.c roleCommand), from a snapshot of
// Replication's state. Offsets are WAL sequence numbers, not bytes.
import type { Engine } from '../../storage/index.js';
import type { ServerConfig } from '../ops/config.js';
import type { Follower } from './follower.js';
import type { ReplicaLink } from './replica-link.js';
import type { ReplicationIds } from './replication-ids.js';

export type Role = 'master' | 'replica';
export type InfoFields = Array<[string, string | number]>;
export type RoleReply =
  | { kind: 'master'; offset: number; replicas: Array<[string, string, string]> }
  | { kind: 'slave'; host: string; port: number; state: string; offset: number };

export interface InfoSource {
  role: Role;
  ids: ReplicationIds;
  stats: { replicaFullSyncs: number; replicaPartialSyncs: number };
  follower: Follower | undefined;
  links: readonly ReplicaLink[];
  engine: Engine;
  config: ServerConfig;
  backlogActive: boolean; // the primary keeps WAL for replicas now
}

/** INFO replication, Redis 7.0's fields in its order (src/server.c genRedisInfoString). */
export function infoFields(source: InfoSource): InfoFields {
  const { engine, config, stats, ids, links } = source;
  const fields: InfoFields = [['role', source.role === 'master' ? 'master' : 'slave']];
  const follower = source.follower;
  if (source.role === 'replica' && follower !== undefined) {
    const nowS = Date.now() / 1000;
    fields.push(
      ['master_host', follower.primaryHost], ['master_port', follower.primaryPort],
      ['master_link_status', follower.linkUp ? 'up' : 'down'],
      ['master_last_io_seconds_ago', follower.lastIoMs === 0 || follower.state === 'connect' ? -1 : Math.floor(nowS - follower.lastIoMs / 1000)],
      ['master_sync_in_progress', follower.state === 'sync' ? 1 : 0],
      ['slave_read_repl_offset', Math.max(follower.readSeq, engine.sequence())], ['slave_repl_offset', engine.sequence()],
    );
    if (follower.state === 'sync') {
      const left = follower.syncTotalBytes - follower.syncReadBytes;
      fields.push(
        ['master_sync_total_bytes', follower.syncTotalBytes], ['master_sync_read_bytes', follower.syncReadBytes], ['master_sync_left_bytes', left],
        ['master_sync_perc', (follower.syncTotalBytes === 0 ? 0 : (follower.syncReadBytes / follower.syncTotalBytes) * 100).toFixed(2)],
        ['master_sync_last_io_seconds_ago', Math.floor(nowS - follower.lastIoMs / 1000)],
      );
    }
    if (!follower.linkUp) fields.push(['master_link_down_since_seconds', Math.floor(nowS - follower.linkDownSinceMs / 1000)]);
    fields.push(
      ['slave_priority', config.replicaPriority], ['slave_read_only', 1], ['replica_announced', 1],
      ['tskv_slave_durable_offset', engine.durableSequence()], ['tskv_full_syncs', stats.replicaFullSyncs], ['tskv_partial_syncs', stats.replicaPartialSyncs],
    );
  }
  fields.push(['connected_slaves', links.length]);
  let index = 0;
  const nowMs = Date.now();
  for (const link of links) {
    const lag = link.state === 'online' ? Math.floor((nowMs - link.lastAckMs) / 1000) : 0;
    fields.push([`slave${index++}`, `ip=${link.address},port=${link.listeningPort},state=${link.state},offset=${link.ackSeq},lag=${lag}`]);
  }
  const history = engine.walHistory();
  const { backlogActive } = source;
  fields.push(
    ['master_failover_state', 'no-failover'], ['master_replid', ids.replid], ['master_replid2', ids.replid2],
    ['master_repl_offset', engine.sequence()], ['second_repl_offset', ids.secondSeq < 0 ? -1 : ids.secondSeq + 1],
    ['repl_backlog_active', backlogActive ? 1 : 0], ['repl_backlog_size', config.replBacklogSize],
    ['repl_backlog_first_byte_offset', backlogActive ? history.firstSeq : 0], ['repl_backlog_histlen', backlogActive ? history.bytes : 0],
  );
  return fields;
}

/** ROLE's reply (src/replication.c roleCommand): the master's online replicas, or the replica's link. */
export function roleReply(source: InfoSource): RoleReply {
  const { engine, links } = source;
  const follower = source.follower;
  if (source.role === 'master' || follower === undefined) {
    const replicas = links.filter((link) => link.state === 'online').map((link): [string, string, string] => [link.address, String(link.listeningPort), String(link.ackSeq)]);
    return { kind: 'master', offset: engine.sequence(), replicas };
  }
  return { kind: 'slave', host: follower.primaryHost, port: follower.primaryPort, state: follower.state, offset: follower.linkUp ? engine.sequence() : -1 };
}
