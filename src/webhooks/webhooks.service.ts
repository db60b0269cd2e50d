import { Injectable, Logger } from '@nestjs/common';
import { PrismaService, type Sql } from '../prisma/prisma.service.js';
import { UsersService } from '../users/users.service.js';
import { DeliveryAuthenticator, type AuthenticDelivery } from './delivery-authenticator.js';
import { parseDelivery, type DeliveryAction } from './delivery-parser.js';
import type { DeliveryResponse } from './dto/delivery-response.dto.js';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Receives Supabase deliveries: authenticity first, then the payload, then the effect, which goes
 * through the users service's apply and delete functions. The delivery id is recorded in the same
 * transaction as the effect: a repeat finds it and changes nothing; a failure leaves no record,
 * so the sender's retry applies it.
 */
@Injectable()
export class WebhooksService {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly authenticator: DeliveryAuthenticator,
    private readonly prisma: PrismaService,
    private readonly users: UsersService,
  ) {}

  async receive(headers: Headers, body: Buffer): Promise<{ status: 200 | 202; response: DeliveryResponse }> {
    const delivery = this.authenticator.authenticate(headers, body);
    const action = parseDelivery(delivery.form, body);
    if (action.kind === 'ignore') {
      return { status: 202, response: { status: 'ignored', eventType: action.eventType, reason: action.reason } };
    }
    const outcome = await this.prisma.transaction((tx) => this.applyOnce(tx, delivery, action));
    this.logger.log({ deliveryId: delivery.deliveryId, eventType: action.eventType, outcome }, 'delivery received');
    return {
      status: 200,
      response: { status: outcome === 'duplicate' ? 'duplicate' : 'applied', eventType: action.eventType, outcome },
    };
  }

  private async applyOnce(tx: Sql, delivery: AuthenticDelivery, action: Exclude<DeliveryAction, { kind: 'ignore' }>): Promise<string> {
    const userId = action.kind === 'apply' ? action.snapshot.id : action.userId;
    const fresh = await tx.execute(
      `INSERT INTO webhook_deliveries (delivery_id, source, event_type, user_id, outcome)
       VALUES ($1, $2, $3, $4::uuid, 'pending') ON CONFLICT (delivery_id) DO NOTHING`,
      [delivery.deliveryId, delivery.form, action.eventType, userId],
    );
    if (fresh === 0) return 'duplicate';
    const outcome =
      action.kind === 'apply'
        ? (await this.users.applyUserSnapshot(action.snapshot, tx, 'webhook')).status
        : (await this.users.deleteUser(action.userId, { deletedAt: action.deletedAt, source: 'webhook' }, tx)).deleted
          ? 'deleted'
          : 'already_deleted';
    await tx.execute('UPDATE webhook_deliveries SET outcome = $1 WHERE delivery_id = $2', [outcome, delivery.deliveryId]);
    return outcome;
  }
}
