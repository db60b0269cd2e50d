import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { type FieldProblem, validationFailed } from './errors.js';
import { UNSTORABLE_TEXT, unstorableTextAt } from './storable-text.js';

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * class-validator's pipe, which first refuses text Postgres could not store (NUL characters,
 * unpaired surrogates) anywhere in a body, query or path parameter: a 400, never a database error.
 */
class StorableValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = unstorableTextAt(value);
      if (field !== null) {
        throw validationFailed([{ field: field || metadata.data || metadata.type, problems: [UNSTORABLE_TEXT] }]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting, unknown fields refused, transformed DTOs; failures are 400 `validation_failed`. */
export function createValidationPipe(): ValidationPipe {
  return new StorableValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
