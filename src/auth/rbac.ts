import { type Principal, ROLES, type Role } from './principal.ts';

/** One row of the permission table. */
export interface PermissionRule {
  /** Roles that hold the permission. */
  roles: readonly Role[];
  /**
   * True for permissions that change something. They need a completed second factor whatever
   * the kind of principal (see {@link can}); reads need it only from user sessions.
   */
  mfa: boolean;
  /**
   * True for permissions that need a person in an interactive session with MFA: managing users
   * and tokens (a token that could mint tokens or reset an admin's password and MFA would be a
   * standing takeover), managing notifications (a token that could reroute or silence alarm
   * notifications, or swap a channel's credentials, would blind the people on call), sending
   * commands to devices and approving provisioning claims (control of the fleet and handing out
   * device identities need the operator or admin in person with MFA completed, audited with who,
   * what and why), starting a security lab run (attacks that load the host: a standing token
   * could keep it busy), and electronic signatures (21 CFR 11.200: the signer re-enters password
   * and TOTP). Never granted to an API token, whatever its role.
   */
  interactive?: true;
  /** What the permission allows, for docs/permissions.md. */
  description: string;
}

const ALL: readonly Role[] = ROLES;

/**
 * The permission table: every guarded action of the API and the live feed names one of these.
 * Role summary: admin runs the installation; operator runs the fleet (devices, alarms); quality
 * acknowledges alarms and decides on shipments after an excursion; receiver takes deliveries;
 * viewer only reads operational data; auditor reads everything including the audit log and
 * changes nothing. DESIGN.md §6: roles that can change anything are admin, operator, quality and
 * receiver; viewer and auditor are read-only.
 */
export const PERMISSIONS = {
  'devices.read': {
    roles: ALL,
    mfa: false,
    description: 'list devices, see a device and its status',
  },
  'devices.control': {
    roles: ['admin', 'operator'],
    mfa: true,
    description: 'enable or disable a device',
  },
  'devices.command': {
    roles: ['admin', 'operator'],
    mfa: true,
    interactive: true,
    description:
      'send a device signed commands (rotate its key, renew its certificate, push a trust bundle, set an output, ...); upload firmware; start, pause, resume and abort OTA campaigns (docs/ota.md)',
  },
  'devices.manage': {
    roles: ['admin'],
    mfa: true,
    description: 'add a device and download its bundle (holds its secret); revoke or delete a device',
  },
  'devices.labels.read': {
    // Bed and ward tie a monitor's vital signs to a patient's place: people who act on the
    // monitors (operators), set them up (admins) or audit them (auditors, who read the audited
    // changes anyway). Not the cold-chain roles and not read-only displays (minimum necessary).
    roles: ['admin', 'operator', 'auditor'],
    mfa: false,
    description: "see a patient monitor's bed and ward labels",
  },
  'devices.labels.manage': {
    roles: ['admin', 'operator'],
    mfa: true,
    description: "set or clear a patient monitor's bed and ward labels",
  },
  'claims.read': {
    roles: ['admin', 'operator', 'auditor'],
    mfa: false,
    description: 'list provisioning claims, claim batches and quarantined identities',
  },
  'claims.approve': {
    roles: ['admin'],
    mfa: true,
    interactive: true,
    description: 'approve or reject a provisioning claim (the device gets its identity)',
  },
  'readings.read': {
    roles: ALL,
    mfa: false,
    description: 'query readings and receive them on the live feed',
  },
  'alarms.read': {
    roles: ALL,
    mfa: false,
    description: 'list alarms and receive them on the live feed',
  },
  'alarms.ack': {
    roles: ['admin', 'operator', 'quality'],
    mfa: true,
    interactive: true,
    description: 'acknowledge an alarm (with a reason and an electronic signature)',
  },
  'shipments.read': {
    roles: ALL,
    mfa: false,
    description: 'list shipments and their cold-chain record',
  },
  'shipments.manage': {
    roles: ['admin', 'operator'],
    mfa: true,
    description: 'create a shipment: batches, profile, route, bound logger',
  },
  'shipments.deliver': {
    roles: ['admin', 'receiver'],
    mfa: true,
    description: 'confirm delivery of a shipment',
  },
  'shipments.decide': {
    roles: ['admin', 'quality'],
    mfa: true,
    interactive: true,
    description: 'release or reject a shipment after an excursion (electronic signature)',
  },
  'system.read': {
    roles: ['admin', 'operator', 'quality', 'viewer', 'auditor'],
    mfa: false,
    description: 'system status: broker, ingest, storage, certificates, continuity, the last seclab report',
  },
  'metrics.read': {
    roles: ['admin', 'operator', 'auditor'],
    mfa: false,
    description: 'Prometheus metrics (/metrics)',
  },
  'seclab.run': {
    roles: ['admin'],
    mfa: true,
    interactive: true,
    description: 'start a `vigil seclab --quick` run (against a throwaway Vigil) from the system page',
  },
  'openapi.read': {
    roles: ALL,
    mfa: false,
    description: 'read the OpenAPI document of the API',
  },
  'audit.read': {
    roles: ['admin', 'auditor'],
    mfa: false,
    description: 'read and verify the audit log',
  },
  'users.read': {
    roles: ['admin', 'auditor'],
    mfa: false,
    description: 'list users, their roles, MFA state and sessions',
  },
  'users.manage': {
    roles: ['admin'],
    mfa: true,
    interactive: true,
    description: "add, disable, enable users, change roles, reset MFA or password, end a user's sessions",
  },
  'notifications.manage': {
    roles: ['admin'],
    mfa: true,
    interactive: true,
    description:
      'manage notification channels and their credentials, contacts, groups, routing rules, escalation policies and on-call schedules; send test notifications',
  },
  'notifications.subscribe': {
    roles: ALL,
    mfa: false,
    description: "turn browser (Web Push) notifications of alarms on or off for one's own browser",
  },
  'tokens.manage': {
    roles: ['admin'],
    mfa: true,
    interactive: true,
    description: 'create, list and revoke API tokens',
  },
} as const satisfies Record<string, PermissionRule>;

/** A permission name, e.g. `devices.read`. */
export type Permission = keyof typeof PERMISSIONS;

/** Every permission, in table order. */
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** The outcome of {@link can}; the API maps them to 200 / 403 VIGIL_ERR_FORBIDDEN / 403 VIGIL_ERR_MFA_REQUIRED. */
export type Decision = 'ok' | 'forbidden' | 'mfa_required';

/** True for roles that hold at least one permission that changes something. */
export function roleCanChange(role: Role): boolean {
  return Object.values(PERMISSIONS).some((p: PermissionRule) => p.mfa && p.roles.includes(role));
}

/**
 * Decides whether `principal` may use `permission`:
 * 1. a user session without a completed second factor (half-authenticated) gets
 *    `mfa_required` for everything: every account enrols TOTP, so such a session has only
 *    finished the first step of signing in and may only finish it (change password, enrol or
 *    verify TOTP, log out: routes that need no permission);
 * 2. a role that does not hold the permission gets `forbidden`;
 * 3. an API token gets `forbidden` for an interactive permission (user, token and notification
 *    management, device commands, claim approval, seclab runs, e-signatures), and for anything its owner's current role does not hold (a
 *    token is capped at its owner's role; a token without an owner holds nothing);
 * 4. a permission that changes something (`mfa: true`) needs `principal.mfa` for any kind of
 *    principal (API tokens carry `mfa: true`: only an MFA-verified admin can create them);
 * 5. otherwise `ok`.
 * Unknown permission names (a typo in a route) are `forbidden`, never `ok`.
 */
export function can(principal: Principal, permission: Permission): Decision {
  const rule: PermissionRule | undefined = Object.hasOwn(PERMISSIONS, permission)
    ? PERMISSIONS[permission]
    : undefined;
  if (principal.kind === 'user' && !principal.mfa) return 'mfa_required';
  if (!rule?.roles.includes(principal.role)) return 'forbidden';
  if (principal.kind === 'token') {
    if (rule.interactive) return 'forbidden';
    if (!principal.owner || !rule.roles.includes(principal.owner.role)) return 'forbidden';
  }
  if (rule.mfa && !principal.mfa) return 'mfa_required';
  return 'ok';
}

/** True when every permission of `role` is also held by `by` (a token role its creator may grant). */
export function roleWithin(role: Role, by: Role): boolean {
  return permissionsOf(role).every((p) => (PERMISSIONS[p].roles as readonly Role[]).includes(by));
}

/** True for roles that hold a permission only admins hold (user, token or device management). */
export function roleIsAdminCapable(role: Role): boolean {
  return role === 'admin';
}

/** The permissions a role holds (for the dashboard to hide what the user cannot do). */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSION_NAMES.filter((p) => (PERMISSIONS[p].roles as readonly Role[]).includes(role));
}
