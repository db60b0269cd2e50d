// Signed out: sign up (through the API), confirm, sign in, and the ways back in by email.
import type { SupabaseClient } from '@supabase/supabase-js';
import { API_URL, MAILBOX_URL, SUPABASE_URL } from './config';
import { field, useAction } from './forms';
import { readAnswer } from './useAuthmirror';

const LOCAL = /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(SUPABASE_URL);

export function SignedOut({ supabase }: { supabase: SupabaseClient }) {
  const signup = useAction();
  const signin = useAction();
  const forgot = useAction();
  const resend = useAction();
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
              const { confirmationEmail } = await readAnswer<{ confirmationEmail?: 'sent' | 'not_sent' }>(response);
              // Supabase may refuse to email (its hourly limit): the account exists, ask again below.
              return confirmationEmail === 'not_sent'
                ? 'Your account is made, but the confirmation email could not be sent now: ask for it again below in a minute.'
                : 'Check your email: the confirmation link signs you in.';
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
      <section aria-labelledby="resend">
        <h2 id="resend">No confirmation email?</h2>
        <form
          onSubmit={(event) => {
            const get = field(event);
            return resend.run(async () => {
              const { error } = await supabase.auth.resend({
                type: 'signup',
                email: get('email'),
                options: { emailRedirectTo: redirectTo },
              });
              if (error) throw error;
              return 'If this address waits for confirmation, a new link is on its way.';
            })(event);
          }}
        >
          <label>
            Email <input name="email" type="email" required />
          </label>
          <button disabled={resend.busy}>Send the confirmation again</button>
        </form>
        {resend.feedback}
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
