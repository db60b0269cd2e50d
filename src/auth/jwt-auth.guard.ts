import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { apiError, type ApiError, type ErrorCode } from '../common/errors.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.js';
import { AccessRegistry } from '../access/access-registry.js';
import { DeviceSightings } from '../devices/device-sightings.js';
import { ANONYMOUS_USERS } from '../common/anonymous-users.decorator.js';
import type { AuthenticatedUser } from '../common/authenticated-user.js';
import { IS_PUBLIC } from '../common/public.decorator.js';
import { ADMIN_ONLY, isAdmin } from '../common/admin.decorator.js';
import { Metrics } from '../metrics/metrics.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { SUPABASE_JWT } from './supabase-jwt.strategy.js';

/**
 * Global guard: every route needs a valid Supabase access token unless marked @Public(). The token of a deleted or banned
 * user, of a revoked session or from before a forced refresh is refused at once, from memory (AccessRegistry: no query).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(SUPABASE_JWT) {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessRegistry,
    private readonly sightings: DeviceSightings,
    private readonly verified: VerifiedTokenCache,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; ip?: string; user?: AuthenticatedUser }>();
    const token = bearerToken(request.headers.authorization);
    const known = token ? this.verified.get(token) : null;
    if (known) {
      request.user = this.handleRequest(null, known, null);
    } else {
      await super.canActivate(context);
      if (token && request.user) this.verified.remember(token, request.user);
    }
    const caller = request.user!;
    if (caller.claims.is_anonymous === true) this.refuseAnonymousUnlessAllowed(context);
    const adminOnly = this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()]);
    if (adminOnly && !isAdmin(caller.claims)) throw this.refuse('forbidden');
    this.sightings.seen(caller, request);
    return true;
  }

  /** ANONYMOUS_USERS decides, unless the route says otherwise (@AllowAnonymous, @RefuseAnonymous). */
  private refuseAnonymousUnlessAllowed(context: ExecutionContext): void {
    const route = this.reflector.getAllAndOverride<'allow' | 'refuse' | undefined>(ANONYMOUS_USERS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if ((route ?? this.config.anonymousUsers) === 'allow') return;
    throw this.refuse('anonymous_user');
  }

  override getAuthenticateOptions() {
    return { session: false };
  }

  override handleRequest<T = AuthenticatedUser>(error: unknown, user: T | false, info: unknown): T {
    const refusal = user ? this.access.refusal(user as unknown as AuthenticatedUser) : null;
    if (refusal) throw this.refuse(refusal);
    if (error || !user) {
      const missing = info instanceof Error && info.message === 'No auth token';
      throw this.refuse('invalid_token', missing ? 'A bearer access token is required' : undefined);
    }
    return user;
  }

  /** Every refusal of the guard is counted by its code (authmirror_guard_refusals_total). */
  private refuse(code: ErrorCode, message?: string): ApiError {
    this.metrics.guardRefused(code);
    return apiError(code, { message });
  }
}

function bearerToken(header: string | undefined): string | null {
  if (!header || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return header.slice(7).trim() || null;
}
