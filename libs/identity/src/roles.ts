/**
 * Roles are named permission sets, not a ladder: `agent` may submit runs but not steer them,
 * `operator` may steer runs and decide checkpoints but not submit them. Only `admin` holds
 * everything, and every role can read.
 */
export const ROLES = ['viewer', 'agent', 'operator', 'admin', 'backup'] as const;
export type Role = (typeof ROLES)[number];

/** What a route asks of its caller. */
export const PERMISSIONS = ['read', 'runs.submit', 'runs.control', 'approvals.decide', 'admin', 'system.read', 'system.shutdown'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(['read', 'system.read']),
  agent: new Set(['read', 'runs.submit', 'system.read']),
  operator: new Set(['read', 'runs.control', 'approvals.decide', 'system.read', 'system.shutdown']),
  admin: new Set(PERMISSIONS),
  // Issue 16: the solo operator's backup contact may see the hub's state and stop it, nothing
  // else (no runs, no dispatch, no approvals).
  backup: new Set(['system.read', 'system.shutdown']),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` holds `permission`. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/** The roles holding `permission`, for error messages and docs. */
export function rolesWith(permission: Permission): Role[] {
  return ROLES.filter((role) => roleAllows(role, permission));
}
