/** What one `vigil start` process does (`--role`): everything, or one part of a scale-out cluster. */
export const ROLES = ['all', 'ingest', 'api', 'rules'] as const;
export type Role = (typeof ROLES)[number];
