import type { SupabaseClient } from '@supabase/supabase-js';
import { useState, type FormEvent } from 'react';
import { API_URL, MAILBOX_URL, SUPABASE_URL } from './config';
import { ApiError, readAnswer, useAuthmirror } from './useAuthmirror';

const LOCAL = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(SUPABASE_URL);

/** Runs a form's action, showing its error by code, or a note once it is done. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const perform = async (action: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setNote(null);
    try {
      setNote((await action()) ?? null);
    } catch (caught) {
      const known = caught instanceof ApiError ? caught : (caught as { code?: string; message?: string });
      setError({ code: known.code ?? 'error', message: known.message ?? String(caught) });
    } finally {
      setBusy(false);
    }
  };
  const run = (action: () => Promise<string | void>) => (event?: FormEvent) => {
    event?.preventDefault();
    void perform(action);
  };
  const feedback = (
    <>
      {error && (
        <p className="error" role="alert">
          <code>{error.code}</code> {error.message}
        </p>
      )}
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
    </>
  );
  return { busy, run, feedback };
}

function field(form: FormEvent): (name: string) => string {
  const data = new FormData(form.currentTarget as HTMLFormElement);
  return (name) => {
    const value = data.get(name);
    return typeof value === 'string' ? value : '';
  };
}

export function App({ supabase }: { supabase: SupabaseClient }) {
  const mirror = useAuthmirror(supabase, API_URL);
  return (
    <main>
      <h1>authmirror · React example</h1>
      {mirror.error && (
        <p className="error" role="alert">
          <code>{mirror.error.code}</code> {mirror.error.message}
        </p>
      )}
      {mirror.recovering && <NewPassword supabase={supabase} done={mirror.passwordSet} />}
      {mirror.session ? <SignedIn supabase={supabase} mirror={mirror} /> : <SignedOut supabase={supabase} />}
    </main>
  );
}

function SignedOut({ supabase }: { supabase: SupabaseClient }) {
  const signup = useAction();
  const signin = useAction();
  const forgot = useAction();
  const redirectTo = `${window.location.origin}/`;
  return (
    <>
      <section aria-labelledby="signup">
        <h2 id="signup">Sign up</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return signup.run(async () => {
              // Through the API: one atomic signup in Supabase and the mirror; Supabase emails the link.
              const response = await fetch(`${API_URL}/auth/signup`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({
                  email: get('email'),
                  password: get('password'),
                  displayName: get('displayName') || undefined,
                  redirectTo,
                }),
              });
              await readAnswer(response);
              return 'Check your email: the confirmation link signs you in.';
            })(event);
          }}
        >
          <label>
            Email <input name="email" type="email" required autoComplete="username" />
          </label>
          <label>
            Password <input name="password" type="password" required autoComplete="new-password" />
          </label>
          <label>
            Display name <input name="displayName" />
          </label>
          <button disabled={signup.busy}>Sign up</button>
        </form>
        {signup.feedback}
        {LOCAL && (
          <p className="note">
            Locally, emails land in the <a href={MAILBOX_URL}>local mailbox</a>.
          </p>
        )}
      </section>
      <section aria-labelledby="signin">
        <h2 id="signin">Sign in</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return signin.run(async () => {
              const { error } = await supabase.auth.signInWithPassword({ email: get('email'), password: get('password') });
              if (error) throw error;
            })(event);
          }}
        >
          <label>
            Email <input name="email" type="email" required autoComplete="username" />
          </label>
          <label>
            Password <input name="password" type="password" required autoComplete="current-password" />
          </label>
          <button disabled={signin.busy}>Sign in</button>
        </form>
        {signin.feedback}
      </section>
      <section aria-labelledby="forgot">
        <h2 id="forgot">Forgot your password?</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return forgot.run(async () => {
              const { error } = await supabase.auth.resetPasswordForEmail(get('email'), { redirectTo });
              if (error) throw error;
              // The same words whether or not the address has an account.
              return 'If this address has an account, a reset link is on its way.';
            })(event);
          }}
        >
          <label>
            Email <input name="email" type="email" required />
          </label>
          <button disabled={forgot.busy}>Send a reset link</button>
        </form>
        {forgot.feedback}
      </section>
    </>
  );
}

function NewPassword({ supabase, done }: { supabase: SupabaseClient; done: () => void }) {
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

function SignedIn({ supabase, mirror }: { supabase: SupabaseClient; mirror: ReturnType<typeof useAuthmirror> }) {
  const profileAction = useAction();
  const onboarding = useAction();
  const account = useAction();
  const { user, profile } = mirror;
  if (!user || !profile) return <p className="note">{mirror.syncing ? 'Mirroring your account…' : 'Signed in.'}</p>;
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
