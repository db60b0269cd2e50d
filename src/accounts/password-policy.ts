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
