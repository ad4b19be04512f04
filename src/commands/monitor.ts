// src/commands/monitor.ts: MONITOR (Redis 7.0 monitorCommand); what a monitor is shown, and
// when, is src/dispatch/monitor.ts.
import type { CommandContext, CommandSpec } from '../dispatch/command-table.js';
import { CommandError } from '../dispatch/errors.js';
import { MONITOR_ERRORS } from '../dispatch/monitor.js';

/** MONITOR (Redis 7.0 monitorCommand). */
function monitor(ctx: CommandContext): void {
  const { server, client } = ctx;
  if (client.inExec) throw new CommandError(MONITOR_ERRORS.inExec);
  if (client.monitoring) return; // Redis answers nothing here
  client.monitoring = true;
  server.monitors.add(client);
  ctx.out.simple('OK');
}

export const monitorCommands: CommandSpec[] = [
  {
    name: 'monitor', arity: 1, flags: ['admin', 'noscript', 'loading', 'stale'], firstKey: 0, lastKey: 0, keyStep: 0, group: 'server',
    summary: 'Listens for all requests received by the server in real-time.', since: '1.0.0', handler: monitor,
  },
];
