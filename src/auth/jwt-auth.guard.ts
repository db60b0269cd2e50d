import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ApiError } from '../common/api-error.js';
import { UsersService, userDeleted } from '../users/users.service.js';
import type { AuthenticatedUser } from './authenticated-user.js';
import { IS_PUBLIC } from './public.decorator.js';
import { SUPABASE_JWT } from './supabase-jwt.strategy.js';

/**
 * Global guard: every route needs a valid Supabase access token unless marked @Public(). A token
 * of a deleted user is refused with 401 `user_deleted` at once (an in-memory set: no query).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(SUPABASE_JWT) {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override getAuthenticateOptions() {
    return { session: false };
  }

  override handleRequest<T = AuthenticatedUser>(error: unknown, user: T | false, info: unknown): T {
    if (user && this.users.isDeleted((user as unknown as AuthenticatedUser).id)) throw userDeleted();
    if (error || !user) {
      const missing = info instanceof Error && info.message === 'No auth token';
      throw new ApiError(
        401,
        'invalid_token',
        missing ? 'A bearer access token is required' : 'The access token is invalid, expired or not a user token',
      );
    }
    return user;
  }
}
