import { createClient } from '@supabase/supabase-js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SUPABASE_ANON_KEY, SUPABASE_URL } from './config';

// One client for the app: it keeps the session in localStorage, refreshes it, and reads the
// session an email link brings back in the URL fragment.
const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App supabase={supabase} />
  </StrictMode>,
);
