/**
 * Accounts, sessions, API tokens, the caller and the audit log as the API serialises them: part
 * of the contract of src/api/schemas.ts, imported by the dashboard as types.
 */
import { z } from 'zod';
import { ROLES } from '../auth/principal.ts';
import { isoTime } from '../iso-time.ts';

/** The sign-in states of docs/api.md. */
export const SIGN_IN_STATES = [
  'password_change_required',
  'mfa_enrol_required',
  'mfa_required',
  'ok',
] as const;
export type SignInState = (typeof SIGN_IN_STATES)[number];

/** `GET /api/v1/auth/me`. */
export const meSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  kind: z.enum(['user', 'token']),
  mfa: z.boolean(),
  state: z.enum(SIGN_IN_STATES),
  permissions: z.array(z.string()),
});

const role = z.enum(ROLES);

export const userSchema = z.object({
  name: z.string(),
  role,
  status: z.enum(['active', 'disabled']),
  mfaEnrolled: z.boolean(),
  mustChangePassword: z.boolean(),
  mustEnrolMfa: z.boolean(),
  recoveryCodesLeft: z.number().int(),
  createdAt: isoTime,
  updatedAt: isoTime,
  passwordChangedAt: isoTime,
  lastLoginAt: isoTime.nullable(),
  /** Live sessions of the user. */
  sessions: z.number().int(),
});

export const sessionSchema = z.object({
  id: z.string(),
  userName: z.string(),
  state: z.enum(['password_ok', 'mfa_ok']),
  authAt: isoTime,
  lastSeenAt: isoTime,
  address: z.string().nullable(),
  /** The caller's own session. */
  current: z.boolean(),
});

export const tokenSchema = z.object({
  id: z.string(),
  label: z.string(),
  role: z.enum(ROLES),
  createdBy: z.string(),
  owner: z.string().nullable(),
  createdAt: isoTime,
  expiresAt: isoTime,
  revokedAt: isoTime.nullable(),
  lastUsedAt: isoTime.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});

/** `GET /api/v1/audit/verify`: the result of walking the whole hash chain. */
export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  /** Id of the first entry whose link or hash is wrong; null when intact. */
  firstBroken: z.number().int().nullable(),
  head: z.object({ id: z.number().int(), hash: z.string() }).nullable(),
  checkedAt: isoTime,
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  ts: isoTime,
  actor: z.string(),
  action: z.string(),
  object: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
});
