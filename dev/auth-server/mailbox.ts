// The local mailbox: the stand-in sends no email; what GoTrue would send (signup confirmations,
// password recovery links, one-time codes) lands here, as Supabase's local stack puts it in its
// mail catcher. Served at /mailbox (a page) and /mailbox/messages (JSON), for development only.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type MailKind = 'signup' | 'recovery';

export interface MailMessage {
  id: string;
  to: string;
  kind: MailKind;
  subject: string;
  /** The link to follow (GoTrue's ConfirmationURL). */
  link: string;
  /** The one-time code the same email carries ({{ .Token }}), for verifyOtp. */
  code: string;
  sentAt: string;
}

/** GoTrue's default subjects (internal/mailer/templatemailer/templatemailer.go). */
const SUBJECTS: Record<MailKind, string> = {
  signup: 'Confirm Your Signup',
  recovery: 'Reset Your Password',
};

const KEPT = 500;

export class Mailbox {
  private readonly messages: MailMessage[] = [];

  deliver(to: string, kind: MailKind, link: string, code: string): MailMessage {
    const message = { id: randomUUID(), to, kind, subject: SUBJECTS[kind], link, code, sentAt: new Date().toISOString() };
    this.messages.unshift(message);
    if (this.messages.length > KEPT) this.messages.length = KEPT;
    return message;
  }

  /** Newest first; only those sent to `to` when given. */
  list(to?: string | null): MailMessage[] {
    const wanted = to?.trim().toLowerCase();
    return wanted ? this.messages.filter((message) => message.to === wanted) : [...this.messages];
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
          `<td><a href="${escape(m.link)}">${m.kind === 'signup' ? 'Confirm email address' : 'Reset password'}</a></td><td><code>${escape(m.code)}</code></td></tr>`,
      )
      .join('\n');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local mailbox</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.4rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style></head>
<body><h1>Local mailbox</h1><p>Emails the local Supabase Auth stand-in would have sent (development only). Newest first.</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Subject</th><th>Link</th><th>Code</th></tr></thead><tbody>
${rows || '<tr><td colspan="5">No email yet.</td></tr>'}
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
