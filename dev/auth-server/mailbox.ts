// The local mailbox: the stand-in sends no email and no SMS; what GoTrue would send (signup
// confirmations, password recovery links, one-time codes, SMS codes) lands here, as Supabase's
// local stack puts email in its mail catcher. Served at /mailbox (a page) and /mailbox/messages
// (JSON), for development only.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type MailKind = 'signup' | 'recovery' | 'sms';

export interface MailMessage {
  id: string;
  /** The email address, or the phone as GoTrue stores it: E.164 digits without '+'. */
  to: string;
  kind: MailKind;
  /** The email's subject; an SMS's whole text (GoTrue's SMS template, "Your code is {{ .Code }}"). */
  subject: string;
  /** The link to follow (GoTrue's ConfirmationURL); '' for an SMS. */
  link: string;
  /** The one-time code the same email carries ({{ .Token }}), or the SMS's, for verifyOtp. */
  code: string;
  sentAt: string;
}

/** GoTrue's default subjects (internal/mailer/templatemailer/templatemailer.go) and SMS template (internal/conf/configuration.go). */
const SUBJECTS: Record<MailKind, (code: string) => string> = {
  signup: () => 'Confirm Your Signup',
  recovery: () => 'Reset Your Password',
  sms: (code) => `Your code is ${code}`,
};

const LINK_TEXT: Record<MailKind, string> = { signup: 'Confirm email address', recovery: 'Reset password', sms: '' };

const KEPT = 500;

export class Mailbox {
  private readonly messages: MailMessage[] = [];

  deliver(to: string, kind: MailKind, link: string, code: string): MailMessage {
    const message = { id: randomUUID(), to, kind, subject: SUBJECTS[kind](code), link, code, sentAt: new Date().toISOString() };
    this.messages.unshift(message);
    if (this.messages.length > KEPT) this.messages.length = KEPT;
    return message;
  }

  /**
   * Newest first; only those sent to `to` when given. A phone matches with or without its '+' and
   * spaces (an unencoded '+' in a query string arrives as a space).
   */
  list(to?: string | null): MailMessage[] {
    const wanted = to?.trim().toLowerCase();
    if (!wanted) return [...this.messages];
    const phone = wanted.replace(/^\+/, '').replaceAll(' ', '');
    return this.messages.filter((message) => message.to === wanted || (message.kind === 'sms' && message.to === phone));
  }

  /**
   * GET /mailbox (the page) and /mailbox/messages (JSON). The messages are working sign-in links
   * and codes, so only this machine may read them: no CORS headers (another origin's page cannot
   * read them) and a loopback Host only (nor can a DNS-rebound name that points at 127.0.0.1).
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string, to: string | null): void {
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store' });
      res.end(body);
    };
    if (!isLoopbackHost(req.headers.host)) {
      answer(403, 'application/json', JSON.stringify({ message: 'The local mailbox answers at 127.0.0.1, localhost or [::1] only' }));
    } else if (path === '/mailbox') {
      answer(200, 'text/html; charset=utf-8', this.page());
    } else {
      answer(200, 'application/json', JSON.stringify({ messages: this.list(to) }));
    }
  }

  private page(): string {
    const rows = this.messages
      .map(
        (m) =>
          `<tr><td>${escape(m.sentAt)}</td><td>${escape(m.to)}</td><td>${escape(m.subject)}</td>` +
          `<td>${m.link ? `<a href="${escape(m.link)}">${LINK_TEXT[m.kind]}</a>` : ''}</td><td><code>${escape(m.code)}</code></td></tr>`,
      )
      .join('\n');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>Local mailbox</h1><p>Emails and SMS the local Supabase Auth stand-in would have sent (development only). Newest first.</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Link</th><th>Code</th></tr></thead><tbody>
${rows || '<tr><td colspan="5">Nothing sent yet.</td></tr>'}
</tbody></table></body></html>`;
  }
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `127.0.0.1`, `localhost` or `[::1]`, with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && /^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/i.test(host);
}
