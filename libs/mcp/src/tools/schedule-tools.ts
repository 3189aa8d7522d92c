import { assertOwnerReaches } from '@baton/common';
import { ScheduleService, ownedScheduleBody, presentFire, presentSchedule, scheduleOwner } from '@baton/scheduler';
import type { McpTool, ToolCaller } from './mcp-tool.js';
import { LIST, OBJECT, args, result, text, uuid } from './schemas.js';

const scheduleId = uuid('the schedule id');
const note = text('why (kept on the schedule)', 2000);
const SCHEDULE_OUT = result({ schedule: OBJECT });

/**
 * Schedules (docs/schedules.md) as tools: the REST routes under /api/v1/schedules. The
 * schedule body is the REST body (`name`, `definition | plan`, `cron | interval | at`,
 * `timezone`, `overlap`, …) and the schedule service validates it exactly as it does there.
 */
export function scheduleTools(schedules: ScheduleService): McpTool[] {
  /** Tenancy (issue 13): another owner's schedule is "not found" to a bound token, as over REST. */
  const owned = async (id: string, caller: ToolCaller) => {
    const schedule = await schedules.get(id);
    assertOwnerReaches(boundOwner(caller), scheduleOwner(schedule), 'schedule', id);
    return schedule;
  };
  const withUpcoming = async (id: string, caller: ToolCaller) => {
    const schedule = await owned(id, caller);
    return { schedule: presentSchedule(schedule, schedules.upcoming(schedule)) };
  };
  const steer = (name: string, title: string, description: string, act: (id: string, note: string | null) => Promise<unknown>): McpTool => ({
    name,
    title,
    description,
    permissions: ['runs.control'],
    inputSchema: args({ scheduleId, note }, ['scheduleId']),
    outputSchema: SCHEDULE_OUT,
    async call(a, caller) {
      await owned(a.scheduleId, caller);
      await act(a.scheduleId, a.note ?? null);
      return withUpcoming(a.scheduleId, caller);
    },
  });
  return [
    {
      name: 'list_schedules',
      title: 'List schedules',
      description: 'Every schedule: its target, timing, time zone, overlap policy, whether it is paused and its next fire.',
      permissions: ['read'],
      inputSchema: args({}),
      outputSchema: result({ schedules: LIST }),
      async call(_a, caller) {
        const bound = boundOwner(caller);
        const visible = (await schedules.list()).filter((s) => bound === undefined || scheduleOwner(s) === bound);
        return { schedules: visible.map((s) => presentSchedule(s)) };
      },
    },
    {
      name: 'get_schedule',
      title: 'Get a schedule',
      description: 'One schedule with its next 5 fire times.',
      permissions: ['read'],
      inputSchema: args({ scheduleId }, ['scheduleId']),
      outputSchema: SCHEDULE_OUT,
      call: (a, caller) => withUpcoming(a.scheduleId, caller),
    },
    {
      name: 'schedule_history',
      title: 'Schedule history',
      description: 'Past fires of a schedule, newest first: fire time, kind, status, the run each started and its outcome.',
      permissions: ['read'],
      inputSchema: args({ scheduleId, limit: { type: 'integer', minimum: 1, maximum: 1000 } }, ['scheduleId']),
      outputSchema: result({ fires: LIST }),
      async call(a, caller) {
        await owned(a.scheduleId, caller);
        return { fires: (await schedules.history(a.scheduleId, a.limit ?? 100)).map(presentFire) };
      },
    },
    {
      name: 'create_schedule',
      title: 'Create a schedule',
      description:
        'Creates a schedule: { name, definition: { name, version? } | plan, input?, cron | interval (seconds) | at (ISO time), ' +
        'timezone (IANA), start_at?, end_at?, jitter_seconds?, overlap?, catchup_window_seconds?, pause_on_failure?, dst?, note? }.',
      permissions: ['admin'],
      inputSchema: args({ schedule: { type: 'object', description: 'the schedule, as POST /api/v1/schedules takes it' } }, ['schedule']),
      outputSchema: SCHEDULE_OUT,
      async call(a, caller) {
        const tokenId = 'tokenId' in caller.principal ? caller.principal.tokenId : null;
        const created = await schedules.create(ownedScheduleBody(a.schedule, boundOwner(caller)), tokenId);
        return { schedule: presentSchedule(created, schedules.upcoming(created)) };
      },
    },
    {
      name: 'update_schedule',
      title: 'Update a schedule',
      description: 'Changes the given fields of a schedule (as PATCH /api/v1/schedules/:id); the next fires are computed again.',
      permissions: ['admin'],
      inputSchema: args({ scheduleId, changes: { type: 'object', description: 'the fields to change' } }, ['scheduleId', 'changes']),
      outputSchema: SCHEDULE_OUT,
      async call(a, caller) {
        await owned(a.scheduleId, caller);
        const updated = await schedules.update(a.scheduleId, ownedScheduleBody(a.changes, boundOwner(caller)));
        return { schedule: presentSchedule(updated, schedules.upcoming(updated)) };
      },
    },
    {
      name: 'delete_schedule',
      title: 'Delete a schedule',
      description: 'Deletes a schedule; runs it already started are not touched.',
      permissions: ['admin'],
      inputSchema: args({ scheduleId }, ['scheduleId']),
      outputSchema: result({ deleted: { type: 'string' } }),
      async call(a, caller) {
        await owned(a.scheduleId, caller);
        await schedules.delete(a.scheduleId);
        return { deleted: a.scheduleId };
      },
    },
    steer('pause_schedule', 'Pause a schedule', 'Pauses a schedule: no fire until it is unpaused (fires meanwhile are not caught up).', (id, n) => schedules.pause(id, n)),
    steer('unpause_schedule', 'Unpause a schedule', 'Unpauses a schedule; it fires next at its next fire time after now.', (id, n) => schedules.unpause(id, n)),
    steer('skip_next_fire', 'Skip the next fire', 'Cancels only the next fire of a schedule; later ones happen as usual.', (id, n) => schedules.skipNext(id, n)),
    {
      name: 'trigger_schedule',
      title: 'Trigger a schedule now',
      description: 'Fires a schedule now (subject to its overlap policy); returns the fire and the run it started, if any yet.',
      permissions: ['runs.control'],
      inputSchema: args({ scheduleId }, ['scheduleId']),
      outputSchema: result({ fire: OBJECT }),
      async call(a, caller) {
        await owned(a.scheduleId, caller);
        return { fire: presentFire(await schedules.trigger(a.scheduleId)) };
      },
    },
  ];
}

function boundOwner(caller: ToolCaller): string | undefined {
  return 'anonymous' in caller.principal ? undefined : caller.principal.owner;
}
