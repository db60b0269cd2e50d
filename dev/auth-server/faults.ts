// Fault injection for tests: a matching request fails, loses its connection, waits, or has its
// answer held back after the work is done. The router applies them first, before the gateway.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, sendError, wantsNewFormat } from './errors.js';

export interface AuthFault {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Tested against the request path including the query string, e.g. /auth/v1/admin/users?page=1. */
  path: RegExp;
  /**
   * 0 = destroy the socket (network error); 2xx/3xx = let the request through (use with
   * delayMs); anything else = answer with that status and an error body.
   */
  status: number;
  /** Error code in the body; default 'unexpected_failure' for 5xx, else 'unknown'. */
  code?: string;
  message?: string;
  /** How many requests to affect; default: all until cleared. */
  times?: number;
  /** Wait this long before failing / passing through. */
  delayMs?: number;
  /**
   * With a 2xx status: the request is handled at once and its answer leaves this much later, so
   * a client that gives up first never hears that it was done (the change is made all the same).
   */
  lateAnswerMs?: number;
}

interface ActiveFault extends AuthFault {
  remaining: number;
}

/** Holds the answer back: `end` (which sends the head too) runs `ms` later. */
function answerLate(res: ServerResponse, ms: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    setTimeout(() => end(...args), ms).unref();
    return res;
  }) as ServerResponse['end'];
}

export class FaultList {
  private faults: ActiveFault[] = [];

  add(f: AuthFault): void {
    if (!(f.path instanceof RegExp)) throw new TypeError('fault.path must be a RegExp');
    this.faults.push({ ...f, remaining: f.times ?? Infinity });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Applies the first fault that matches the request: false (at once) when none does, else a
   * promise of whether the fault answered or dropped the request itself.
   */
  apply(req: IncomingMessage, res: ServerResponse, target: string): Promise<boolean> | false {
    const method = req.method ?? 'GET';
    const idx = this.faults.findIndex((f) => (!f.method || f.method.toUpperCase() === method) && f.path.test(target));
    if (idx < 0) return false;
    const f = this.faults[idx];
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(idx, 1);
    const act = (): boolean => {
      if (f.status === 0) {
        req.socket.destroy();
        return true;
      }
      if (f.status >= 200 && f.status < 400) {
        if (f.lateAnswerMs) answerLate(res, f.lateAnswerMs);
        return false; // delay only
      }
      const code = f.code ?? (f.status >= 500 ? 'unexpected_failure' : 'unknown');
      sendError(
        res,
        new ApiError(f.status, code, f.message ?? `Injected fault (${f.status})`),
        wantsNewFormat(req.headers['x-supabase-api-version']),
      );
      return true;
    };
    if (f.delayMs && f.delayMs > 0) {
      return new Promise((resolve) => setTimeout(() => resolve(act()), f.delayMs).unref());
    }
    return Promise.resolve(act());
  }
}
