import { Transform } from 'class-transformer';

/** Longest accepted profile text (names, industry, job title), after trimming. */
export const PROFILE_TEXT_MAX = 100;

/** Trims strings before validation, so that `"  "` is empty and lengths count what is kept. */
export const Trimmed = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
