import { Injectable } from '@nestjs/common';
import { apiError } from '../common/errors.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import type { PhoneLookupResponse } from './dto/phone-lookup.dto.js';
import { toStoredPhone } from './phone-number.js';
import { UsersRepository } from './users.repository.js';

/**
 * `GET /users/lookup`: who holds a phone number. It tells a signed-in, non-anonymous caller the
 * holder's id and display name and nothing else, and only so many times a minute per caller and
 * per address, counted across every instance (RateLimitsService): enough to find the people one
 * knows, too slow to walk the number space.
 */
@Injectable()
export class PhoneLookupService {
  constructor(
    private readonly users: UsersRepository,
    private readonly limits: RateLimitsService,
  ) {}

  /**
   * The live user holding a number given in any common form. 404 `user_not_found` when no live
   * user holds it (a flagged conflict does not hold it).
   */
  async lookupByPhone(raw: string, callerId: string, clientIp: string): Promise<PhoneLookupResponse> {
    await this.limits.take(this.limits.lookupsBy(callerId), this.limits.lookupsFrom(clientIp));
    const phone = toStoredPhone(raw);
    const holder = phone === null ? null : await this.users.findLiveByPhone(phone);
    if (!holder) throw apiError('user_not_found', { message: 'No user has this phone number' });
    return { id: holder.id, displayName: holder.display_name };
  }
}
