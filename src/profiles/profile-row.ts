import type { ProfileResponse } from './dto/profile.dto.js';

/** A row of `profiles` as raw SQL returns it. */
export interface ProfileRow {
  display_name: string | null;
  first_name: string | null;
  last_name: string | null;
  industry: string | null;
  job_title: string | null;
  email_consent: boolean;
  onboarding_completed: boolean;
  onboarded_at: Date | null;
  updated_at: Date;
}

export const PROFILE_COLUMNS = `p.display_name, p.first_name, p.last_name, p.industry, p.job_title,
  p.email_consent, p.onboarding_completed, p.onboarded_at, p.updated_at`;

export function toProfileResponse(row: ProfileRow): ProfileResponse {
  return {
    displayName: row.display_name,
    firstName: row.first_name,
    lastName: row.last_name,
    industry: row.industry,
    jobTitle: row.job_title,
    emailConsent: row.email_consent,
    onboardingCompleted: row.onboarding_completed,
    onboardedAt: row.onboarded_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}
