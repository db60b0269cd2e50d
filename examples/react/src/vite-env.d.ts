/// <reference types="vite/client" />

// The settings a build reads (config.ts); unset ones fall back to npm start's local stack.
interface ImportMetaEnv {
  readonly VITE_API_URL?: string;
  readonly VITE_SUPABASE_URL?: string;
  readonly VITE_SUPABASE_ANON_KEY?: string;
}
