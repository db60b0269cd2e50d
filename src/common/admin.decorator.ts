import { SetMetadata } from '@nestjs/common';
import type { AccessTokenClaims } from './authenticated-user.js';

export const ADMIN_ONLY = 'authmirror:adminOnly';

/** Only admins may call this route (or controller): everyone else gets 403 `forbidden` from the guard. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

/**
 * An admin is a caller whose verified token has `app_metadata.roles` containing "admin". Only the service role can write
 * `app_metadata`, so a user cannot make themselves one (README, "Operating it").
 */
export function isAdmin(claims: AccessTokenClaims): boolean {
  const roles = claims.app_metadata?.roles;
  return Array.isArray(roles) && roles.includes('admin');
}
