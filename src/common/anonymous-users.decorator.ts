import { SetMetadata } from '@nestjs/common';

export const ANONYMOUS_USERS = 'authmirror:anonymousUsers';

/** Supabase anonymous users may call this route whatever ANONYMOUS_USERS says (to sign out, say). */
export const AllowAnonymous = () => SetMetadata(ANONYMOUS_USERS, 'allow');

/**
 * Supabase anonymous users may never call this route, whatever ANONYMOUS_USERS says: an anonymous
 * account costs nothing to make, so it must not buy what an identity is needed for (the lookup).
 */
export const RefuseAnonymous = () => SetMetadata(ANONYMOUS_USERS, 'refuse');
