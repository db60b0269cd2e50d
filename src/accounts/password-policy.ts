import { type ApiError, apiError } from '../common/errors.js';

/** Why a password is too weak, in GoTrue's vocabulary (`length`, `characters`). */
export type WeakPasswordReason = 'length' | 'characters';

/** The reasons a password fails the configured policy; empty when it passes. */
export function weakPasswordReasons(password: string, policy: { minLength: number; requireMixed: boolean }): WeakPasswordReason[] {
  const reasons: WeakPasswordReason[] = [];
  if ([...password].length < policy.minLength) reasons.push('length');
  if (policy.requireMixed && !(/[a-z]/.test(password) && /[A-Z]/.test(password) && /[0-9]/.test(password))) {
    reasons.push('characters');
  }
  return reasons;
}

/** 422 `weak_password` naming the policy and the reasons, or null when the password passes. */
export function weakPasswordError(password: string, policy: { minLength: number; requireMixed: boolean }): ApiError | null {
  const reasons = weakPasswordReasons(password, policy);
  if (reasons.length === 0) return null;
  const mixed = policy.requireMixed ? ', with lower- and upper-case letters and a digit' : '';
  return apiError('weak_password', {
    message: `The password is too weak (at least ${policy.minLength} characters${mixed})`,
    details: { reasons },
  });
}
