// One HTTP attempt of a delivery: the headers of its form (pg_net's bearer token, or a Standard
// Webhooks signature), the POST itself, and the connections it keeps for the next one.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { ResolvedTarget } from './delivery-target.js';
import { PG_NET_VERSION } from './pg-net/send.js';

export class DeliverySender {
  private readonly inFlight = new Set<ClientRequest>();
  private readonly agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  /** POST the body once; the status code, or null on a network error or timeout. `id` is the webhook-id of the signed form. */
  post(target: ResolvedTarget, id: string, body: string): Promise<number | null> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
    };
    if (target.form === 'database') {
      headers['User-Agent'] = `pg_net/${PG_NET_VERSION}`;
      if (target.authorization) headers.Authorization = target.authorization;
    } else {
      const now = new Date();
      headers['User-Agent'] = 'authmirror-auth-stand-in';
      headers['webhook-id'] = id;
      headers['webhook-timestamp'] = String(Math.floor(now.getTime() / 1000));
      headers['webhook-signature'] = target.webhook!.sign(id, now, body);
    }
    const https = target.url.protocol === 'https:';
    return new Promise((resolve) => {
      let done = false;
      let answered: number | null = null;
      const finish = (status: number | null) => {
        if (done) return;
        done = true;
        this.inFlight.delete(req);
        resolve(status);
      };
      const req = (https ? httpsRequest : httpRequest)(
        target.url,
        { method: 'POST', headers, agent: https ? this.agents.https : this.agents.http, timeout: target.timeoutMs },
        (res) => {
          answered = res.statusCode ?? null;
          res.on('error', () => finish(null));
          res.on('end', () => finish(res.statusCode ?? null));
          res.resume(); // drain: the answer's body is not needed
        },
      );
      this.inFlight.add(req);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(null));
      req.on('close', () => finish(answered));
      req.end(body);
    });
  }

  /** Abort every request still in flight (each attempt then resolves null). */
  abort(): void {
    for (const req of this.inFlight) req.destroy(new Error('auth stand-in closing'));
  }

  /** Close the kept connections. */
  destroy(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
