import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The one error shape of every failure. */
export class ErrorResponse {
  /** HTTP status, repeated in the body. */
  @ApiProperty({ example: 401 })
  statusCode: number;

  /** Stable snake_case code for machines. */
  @ApiProperty({ example: 'invalid_token' })
  code: string;

  /** Explanation for people. */
  @ApiProperty({ example: 'The access token is missing, malformed or expired' })
  message: string;

  /** Per-field problems for validation failures, or other structured context. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: unknown;

  /** Id of the request, also in the `x-request-id` response header and the logs. */
  @ApiProperty({ example: '7b0b6a1e-2f7c-4a43-9b1e-3f1f2c9d8e11' })
  requestId: string;
}
