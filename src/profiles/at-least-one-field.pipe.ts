import { Injectable, type PipeTransform } from '@nestjs/common';
import { type FieldProblem, validationFailed } from '../common/errors.js';

/**
 * Refuses a body that sets none of its fields (a PATCH with nothing to change), with the same
 * 400 `validation_failed` as the global pipe. Runs after it, on the validated DTO.
 */
@Injectable()
export class AtLeastOneFieldPipe implements PipeTransform<object, object> {
  constructor(private readonly fields: readonly string[]) {}

  transform(value: object): object {
    const record = value as Record<string, unknown>;
    if (this.fields.some((field) => record[field] !== undefined)) return value;
    const details: FieldProblem[] = [{ field: 'body', problems: [`at least one of ${this.fields.join(', ')} is required`] }];
    throw validationFailed(details);
  }
}
