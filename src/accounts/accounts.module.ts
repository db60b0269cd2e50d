import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountDeletionService } from './account-deletion.service.js';
import { AccountController } from './account.controller.js';
import { AuthController } from './auth.controller.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { PasswordChangeService } from './password-change.service.js';
import { PhoneSignInService } from './phone-sign-in.service.js';
import { SessionsService } from './sessions.service.js';
import { SignupRecoveryService } from './signup/signup-recovery.service.js';
import { SignupSagaService } from './signup/signup-saga.service.js';
import { SignupSagasRepository } from './signup/signup-sagas.repository.js';
import { SignupService } from './signup/signup.service.js';
import { UserSyncService } from './user-sync.service.js';

/** What a user does with their account: sync after sign-in, signup, login (password or SMS code), refresh, logout, deletion. */
@Module({
  imports: [UsersModule, DevicesModule, AccessModule],
  controllers: [AuthController, AccountController],
  providers: [
    UserSyncService,
    SignupService,
    SignupSagasRepository,
    SignupSagaService,
    SignupRecoveryService,
    SessionsService,
    PhoneSignInService,
    PasswordChangeService,
    AccountDeletionService,
    ReauthenticationService,
  ],
})
export class AccountsModule {}
