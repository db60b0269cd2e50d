// Where the app finds Supabase and the API. The defaults are `npm start`'s local stack; a build
// for elsewhere sets VITE_SUPABASE_URL, VITE_SUPABASE_ANON_KEY and VITE_API_URL.
export const SUPABASE_URL = import.meta.env.VITE_SUPABASE_URL ?? 'http://127.0.0.1:54321';
// The local stand-in's fixed, public development key (the same as the Supabase CLI's).
export const SUPABASE_ANON_KEY =
  import.meta.env.VITE_SUPABASE_ANON_KEY ??
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
export const API_URL = import.meta.env.VITE_API_URL ?? 'http://127.0.0.1:3000';
/** Where confirmation and reset emails land with the local stand-in. */
export const MAILBOX_URL = `${SUPABASE_URL}/mailbox`;
