import { Injectable } from '@nestjs/common';
import { apiError } from '../common/errors.js';
import { RateLimitsService } from '../rate-limits/rate-limits.service.js';
import type { PhoneLookupResponse } from './dto/phone-lookup.dto.js';
import { toStoredPhone } from './phone-number.js';
import { UsersRepository } from './users.repository.js';

/** `GET /users/lookup`: who holds a number, told sparingly (docs/security.md, "The phone lookup's privacy model"). */
@Injectable()
export class PhoneLookupService {
  constructor(
    private readonly users: UsersRepository,
    private readonly limits: RateLimitsService,
  ) {}

  /** The live holder of a number in any common form; 404 `user_not_found` otherwise (a flagged conflict holds nothing). */
  async lookupByPhone(raw: string, callerId: string, clientIp: string): Promise<PhoneLookupResponse> {
    await this.limits.take(this.limits.lookupsBy(callerId), this.limits.lookupsFrom(clientIp));
    const phone = toStoredPhone(raw);
    const holder = phone === null ? null : await this.users.findLiveByPhone(phone);
    if (!holder) throw apiError('user_not_found', { message: 'No user has this phone number' });
    return { id: holder.id, displayName: holder.display_name };
  }
}
