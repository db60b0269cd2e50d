// Signed in: the mirrored user and profile, editing, onboarding, a new password after a
// recovery link, signing out and deleting the account.
import type { SupabaseClient } from '@supabase/supabase-js';
import { field, useAction } from './forms';
import type { useAuthmirror } from './useAuthmirror';

export function NewPassword({ supabase, done }: { supabase: SupabaseClient; done: () => void }) {
  const action = useAction();
  return (
    <section aria-labelledby="new-password">
      <h2 id="new-password">Set a new password</h2>
      <form
        onSubmit={(event) => {
          const get = field(event);
          return action.run(async () => {
            const { error } = await supabase.auth.updateUser({ password: get('password') });
            if (error) throw error;
            done();
          })(event);
        }}
      >
        <label>
          New password <input name="password" type="password" required autoComplete="new-password" />
        </label>
        <button disabled={action.busy}>Set password</button>
      </form>
      {action.feedback}
    </section>
  );
}

export function SignedIn({ supabase, mirror }: { supabase: SupabaseClient; mirror: ReturnType<typeof useAuthmirror> }) {
  const profileAction = useAction();
  const onboarding = useAction();
  const account = useAction();
  const { user, profile } = mirror;
  // Before the first sync answers (or when it failed), signing out still works.
  if (!user || !profile)
    return (
      <p className="note">
        {mirror.syncing ? 'Mirroring your account…' : 'Signed in.'} <button onClick={() => void supabase.auth.signOut()}>Sign out</button>
      </p>
    );
  return (
    <>
      <section aria-labelledby="you">
        <h2 id="you">You, as mirrored</h2>
        <dl>
          <dt>Email</dt>
          <dd data-testid="email">{user.email}</dd>
          <dt>Id</dt>
          <dd>
            <code>{user.id}</code>
          </dd>
          <dt>Email confirmed</dt>
          <dd>{user.emailConfirmedAt ? 'yes' : 'no'}</dd>
          <dt>Display name</dt>
          <dd data-testid="display-name">{profile.displayName ?? '—'}</dd>
          <dt>Onboarded</dt>
          <dd data-testid="onboarded">{profile.onboardingCompleted ? `yes (${profile.industry}, ${profile.jobTitle})` : 'not yet'}</dd>
        </dl>
        <button onClick={() => void supabase.auth.signOut()}>Sign out</button>
      </section>
      <section aria-labelledby="edit">
        <h2 id="edit">Your profile</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return profileAction.run(async () => {
              await mirror.updateProfile({ displayName: get('displayName') });
              return 'Saved.';
            })(event);
          }}
        >
          <label>
            Display name <input name="displayName" defaultValue={profile.displayName ?? ''} required />
          </label>
          <button disabled={profileAction.busy}>Save</button>
        </form>
        {profileAction.feedback}
      </section>
      {!profile.onboardingCompleted && (
        <section aria-labelledby="onboarding">
          <h2 id="onboarding">Onboarding</h2>
          <form
            onSubmit={(event) => {
              const get = field(event);
              return onboarding.run(async () => {
                await mirror.completeOnboarding({
                  industry: get('industry'),
                  jobTitle: get('jobTitle'),
                  emailConsent: get('emailConsent') === 'on',
                });
              })(event);
            }}
          >
            <label>
              Industry <input name="industry" required />
            </label>
            <label>
              Job title <input name="jobTitle" required />
            </label>
            <label>
              <input name="emailConsent" type="checkbox" style={{ width: 'auto' }} /> Email me news
            </label>
            <button disabled={onboarding.busy}>Finish onboarding</button>
          </form>
          {onboarding.feedback}
        </section>
      )}
      <section aria-labelledby="delete">
        <h2 id="delete">Delete my account</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return account.run(async () => {
              // No password needed within a few minutes of signing in (REAUTHENTICATION_WINDOW_MINUTES).
              await mirror.deleteAccount(get('password') || undefined);
            })(event);
          }}
        >
          <label>
            Password (if you signed in a while ago) <input name="password" type="password" autoComplete="current-password" />
          </label>
          <button disabled={account.busy}>Delete my account</button>
        </form>
        {account.feedback}
      </section>
    </>
  );
}
