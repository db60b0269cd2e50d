import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one error shape of every failure. */
export class ErrorResponse {
  @ApiProperty({ description: 'HTTP status, repeated in the body', example: 400 })
  statusCode: number;

  @ApiProperty({ description: 'Stable snake_case code for machines: branch on this, not on the message', example: 'validation_failed' })
  code: string;

  @ApiProperty({ description: 'Explanation for people; may change', example: 'The request is not valid' })
  message: string;

  @ApiPropertyOptional({
    description:
      'Per-field problems for `validation_failed` (`[{ field, problems }]`), or other structured context (e.g. `{ reasons }` for `weak_password`)',
    oneOf: [
      {
        type: 'array',
        items: { type: 'object', properties: { field: { type: 'string' }, problems: { type: 'array', items: { type: 'string' } } } },
      },
      { type: 'object' },
    ],
  })
  details?: unknown;

  @ApiProperty({
    description: 'Id of the request, also in the `X-Request-Id` header and on every log line of the request',
    example: '7b0b6a1e-2f7c-4a43-9b1e-3f1f2c9d8e11',
  })
  requestId: string;
}
