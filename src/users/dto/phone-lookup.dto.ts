import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, ValidateBy, type ValidationOptions } from 'class-validator';
import { toStoredPhone } from '../phone-number.js';

/** A phone number in any common written form (see toStoredPhone). */
export function IsLookupPhone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLookupPhone',
      validator: {
        validate: (value) => typeof value === 'string' && toStoredPhone(value) !== null,
        defaultMessage: () => 'phone must be a phone number in international form, e.g. +1 234 567 8901 or 001 234 567 8901',
      },
    },
    options,
  );
}

export class PhoneLookupQuery {
  /**
   * The number in any common international form: `+1 (234) 567-8901`, `001 234 567 8901`,
   * `12345678901` (digits without `+` are read as international, as Supabase stores them).
   * Encode `+` as `%2B` in the query string (a bare `+` reads as a space, which still works).
   */
  @ApiProperty({ example: '+1 (234) 567-8901', maxLength: 40 })
  @IsString()
  @MaxLength(40)
  @IsLookupPhone()
  phone: string;
}

/** Who holds a phone number: the id and display name only, never email or other personal data. */
export class PhoneLookupResponse {
  @ApiProperty({ format: 'uuid', example: '3f0e8a4c-5a7e-4d0b-9d43-5b0e2cbb9a10' })
  id: string;

  /** From the user's profile; null when they have not set one. */
  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  displayName: string | null;
}
