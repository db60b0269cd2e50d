// `npm run try-it`, with `npm start` running: signs a user up and in with supabase-js, as a
// frontend would, then asks the API to mirror them. The README shows what it prints.
import { createClient } from '@supabase/supabase-js';
import { randomBytes } from 'node:crypto';

const supabaseUrl = process.env.SUPABASE_URL ?? 'http://127.0.0.1:54321';
const anonKey =
  process.env.SUPABASE_ANON_KEY ??
  // npm start's local auth server: its fixed, public development key.
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
const api = process.env.API_URL ?? 'http://127.0.0.1:3000';

const supabase = createClient(supabaseUrl, anonKey, { auth: { persistSession: false } });
const email = `ada-${randomBytes(4).toString('hex')}@example.com`;
const password = 'Correct-Horse-42';

const signUp = await supabase.auth.signUp({ email, password, options: { data: { first_name: 'Ada' } } });
if (signUp.error) throw new Error(`sign-up failed: ${signUp.error.message}`);
const { data, error } = await supabase.auth.signInWithPassword({ email, password });
if (error)
  throw new Error(`sign-in failed (${error.code}): ${error.message}; with email confirmation on, confirm through the mailbox first`);
console.log(`signed up and signed in as ${email}`);

const response = await fetch(`${api}/auth/users/sync`, {
  method: 'POST',
  headers: { authorization: `Bearer ${data.session.access_token}` },
});
const body = await response.json();
console.log(`POST /auth/users/sync -> ${response.status}`);
if (!response.ok) {
  console.log(body);
  process.exit(1);
}
console.log(`user: ${body.user.email}, confirmed ${body.user.emailConfirmedAt ? 'yes' : 'no'}, source ${body.source}`);
console.log(`profile: displayName ${body.profile.displayName}, onboarded ${body.profile.onboardingCompleted}`);
console.log(
  body.created
    ? 'created: true (this call mirrored the user)'
    : 'created: false (the pull intake had already brought the new user to the mirror)',
);
