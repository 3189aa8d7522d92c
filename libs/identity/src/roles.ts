/**
 * Roles are named permission sets, not a ladder: `agent` may submit runs but not steer them,
 * `operator` may steer runs and decide checkpoints but not submit them. Only `admin` holds
 * everything, and every role can read.
 */
export const ROLES = ['viewer', 'agent', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a route asks of its caller. */
export const PERMISSIONS = ['read', 'runs.submit', 'runs.control', 'approvals.decide', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(['read']),
  agent: new Set(['read', 'runs.submit']),
  operator: new Set(['read', 'runs.control', 'approvals.decide']),
  admin: new Set(PERMISSIONS),
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
