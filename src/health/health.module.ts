import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IntakeModule } from '../intake/intake.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), IntakeModule],
  controllers: [HealthController],
})
export class HealthModule {}
