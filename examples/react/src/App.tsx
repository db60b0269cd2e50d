import type { SupabaseClient } from '@supabase/supabase-js';
import { API_URL } from './config';
import { NewPassword, SignedIn } from './SignedIn';
import { SignedOut } from './SignedOut';
import { useAuthmirror } from './useAuthmirror';

export function App({ supabase }: { supabase: SupabaseClient }) {
  const mirror = useAuthmirror(supabase, API_URL);
  return (
    <main>
      <h1>authmirror · React example</h1>
      {mirror.error && (
        <p className="error" role="alert">
          <code>{mirror.error.code}</code> {mirror.error.message} <button onClick={() => void mirror.resync()}>Try again</button>
        </p>
      )}
      {mirror.recovering && <NewPassword supabase={supabase} done={mirror.passwordSet} />}
      {mirror.session ? <SignedIn supabase={supabase} mirror={mirror} /> : <SignedOut supabase={supabase} />}
    </main>
  );
}
