// The stand-in's in-memory indexes of users by email and phone, per audience as GoTrue looks users
// up, and across audiences as the table's unique indexes hold them.
import type { StoredUser } from './rows.js';

/** The keys a user holds across audiences: its email (SSO users' are not unique) and its phone. */
function holderKeys(u: StoredUser): string[] {
  return [...(u.email && !u.is_sso_user ? ['e\0' + u.email.toLowerCase()] : []), ...(u.phone ? ['p\0' + u.phone] : [])];
}

export class UserIndex {
  private readonly byEmail = new Map<string, string>(); // aud \0 email -> id
  private readonly byPhone = new Map<string, string>(); // aud \0 phone -> id
  /** 'e' \0 email or 'p' \0 phone -> id, whatever the audience: users_email_partial_key and users_phone_key span the table. */
  private readonly holders = new Map<string, string>();

  add(u: StoredUser): void {
    if (u.email) this.byEmail.set(u.aud + '\0' + u.email.toLowerCase(), u.id);
    if (u.phone) this.byPhone.set(u.aud + '\0' + u.phone, u.id);
    for (const key of holderKeys(u)) this.holders.set(key, u.id);
  }

  remove(u: StoredUser): void {
    const drop = (map: Map<string, string>, key: string) => map.get(key) === u.id && map.delete(key);
    if (u.email) drop(this.byEmail, u.aud + '\0' + u.email.toLowerCase());
    if (u.phone) drop(this.byPhone, u.aud + '\0' + u.phone);
    for (const key of holderKeys(u)) drop(this.holders, key);
  }

  email(aud: string, email: string): string | undefined {
    return this.byEmail.get(aud + '\0' + email.toLowerCase());
  }

  phone(aud: string, phone: string): string | undefined {
    return this.byPhone.get(aud + '\0' + phone);
  }

  heldAnywhere(email: string | null, phone: string | null): boolean {
    return (email !== null && this.holders.has('e\0' + email.toLowerCase())) || (phone !== null && this.holders.has('p\0' + phone));
  }
}
