import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { DatabaseService } from './database.service.js';

/**
 * Prisma Client on the service's one pool, for simple typed reads (the schema's models; see
 * DatabaseService for why the mirror's writes are SQL). The JS engine runs no native binary.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(db: DatabaseService) {
    super({ adapter: new PrismaPg(db.pool) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
