import { describe, expect, it } from '@jest/globals';
import type { ArgumentMetadata } from '@nestjs/common';
import { ApiError } from '../../common/errors.js';
import { createValidationPipe } from '../../common/validation.pipe.js';
import { AtLeastOneFieldPipe } from '../at-least-one-field.pipe.js';
import { CompleteOnboardingRequest } from './complete-onboarding.dto.js';
import { UpdateProfileRequest, changedFields } from './update-profile.dto.js';

const pipe = createValidationPipe();
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function problems(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return (error as ApiError).details;
}

describe('profile request DTOs', () => {
  it('trims text and keeps only the fields given', async () => {
    const update = (await pipe.transform(
      { displayName: '  Ada  ', emailConsent: false },
      body(UpdateProfileRequest),
    )) as UpdateProfileRequest;
    expect(update).toEqual({ displayName: 'Ada', emailConsent: false });
    expect(changedFields(update)).toEqual(['displayName', 'emailConsent']);
  });

  it('refuses null, blank and over-long text in an update, naming each field', async () => {
    const details = await problems(
      pipe.transform({ firstName: null, lastName: ' ', jobTitle: 'x'.repeat(101) }, body(UpdateProfileRequest)),
    );
    expect((details as Array<{ field: string }>).map((problem) => problem.field).sort()).toEqual(['firstName', 'jobTitle', 'lastName']);
  });

  it('requires every onboarding answer, and a real boolean for consent', async () => {
    const details = await problems(pipe.transform({ industry: 'Software', emailConsent: 'true' }, body(CompleteOnboardingRequest)));
    expect((details as Array<{ field: string }>).map((problem) => problem.field).sort()).toEqual(['emailConsent', 'jobTitle']);
  });

  it('refuses an update that sets no field', () => {
    const atLeastOne = new AtLeastOneFieldPipe(['displayName', 'industry']);
    expect(atLeastOne.transform({ industry: 'x' })).toEqual({ industry: 'x' });
    expect(() => atLeastOne.transform({})).toThrow(ApiError);
  });
});
