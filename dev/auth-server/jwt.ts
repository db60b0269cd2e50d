// Minimal JWT signing/verification for the local Auth stand-in, on node:crypto only.
// Key objects are parsed once and cached; verification does no JSON work beyond the
// header and payload themselves.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { DEV_KEYS } from './dev-keys.js';

export type SigningMode = 'es256' | 'hs256';

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

export class JwtError extends Error {}

function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parsePart(part: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('token is malformed: could not JSON decode segment');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new JwtError('token is malformed: segment is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export class JwtKeys {
  readonly kid = DEV_KEYS.kid;
  private readonly esPrivate: KeyObject;
  private readonly esPublic: KeyObject;
  private readonly hmacSecret: Buffer;
  readonly publicJwk: Record<string, unknown>;

  constructor(readonly mode: SigningMode) {
    this.esPrivate = createPrivateKey({ key: { ...DEV_KEYS.es256PrivateJwk }, format: 'jwk' });
    this.esPublic = createPublicKey(this.esPrivate);
    this.hmacSecret = Buffer.from(DEV_KEYS.jwtSecret, 'utf8');
    const pub = DEV_KEYS.es256PublicJwk;
    this.publicJwk = {
      kty: pub.kty,
      kid: pub.kid,
      alg: pub.alg,
      use: pub.use,
      key_ops: [...pub.key_ops],
      crv: pub.crv,
      x: pub.x,
      y: pub.y,
    };
  }

  /** Sign `payload`. `key` defaults to the server's mode. ES256 tokens carry the kid. */
  sign(payload: Record<string, unknown>, key: SigningMode = this.mode, headerOverride?: Record<string, unknown>): string {
    const header: Record<string, unknown> = key === 'es256' ? { alg: 'ES256', kid: this.kid, typ: 'JWT' } : { alg: 'HS256', typ: 'JWT' };
    if (headerOverride) {
      for (const [k, v] of Object.entries(headerOverride)) {
        if (v === undefined) delete header[k];
        else header[k] = v;
      }
    }
    const input = b64urlJson(header) + '.' + b64urlJson(payload);
    const sig =
      key === 'es256'
        ? cryptoSign('sha256', Buffer.from(input), { key: this.esPrivate, dsaEncoding: 'ieee-p1363' })
        : createHmac('sha256', this.hmacSecret).update(input).digest();
    return input + '.' + sig.toString('base64url');
  }

  /**
   * Verify like GoTrue's parseJWTClaims: a kid selects an asymmetric key (only in es256
   * mode); no kid + HS256 falls back to the legacy secret (always accepted, as on a project
   * that migrated to signing keys). Then exp/nbf are checked. Throws JwtError.
   */
  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): DecodedJwt {
    const d1 = token.indexOf('.');
    const d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
    if (d1 <= 0 || d2 < 0 || token.indexOf('.', d2 + 1) !== -1) {
      throw new JwtError('token is malformed: token contains an invalid number of segments');
    }
    const h = token.slice(0, d1);
    const p = token.slice(d1 + 1, d2);
    const s = token.slice(d2 + 1);
    if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) {
      throw new JwtError('token is malformed: illegal base64 data');
    }
    const header = parsePart(h);
    const alg = header.alg;
    const kid = header.kid;
    const signed = Buffer.from(token.slice(0, d2));
    const sig = Buffer.from(s, 'base64url');
    if (typeof kid === 'string') {
      if (this.mode !== 'es256' || kid !== this.kid)
        throw new JwtError('token is unverifiable: error while executing keyfunc: invalid kid: ' + kid);
      if (alg !== 'ES256') throw new JwtError('token signature is invalid: signing method ' + String(alg) + ' is invalid');
      if (sig.length !== 64 || !cryptoVerify('sha256', signed, { key: this.esPublic, dsaEncoding: 'ieee-p1363' }, sig)) {
        throw new JwtError('token signature is invalid: crypto/ecdsa: verification error');
      }
    } else if (alg === 'HS256') {
      const expected = createHmac('sha256', this.hmacSecret).update(signed).digest();
      if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) {
        throw new JwtError('token signature is invalid: signature is invalid');
      }
    } else {
      throw new JwtError('token is unverifiable: error while executing keyfunc: missing kid');
    }
    const payload = parsePart(p);
    const exp = payload.exp;
    if (exp !== undefined) {
      if (typeof exp !== 'number') throw new JwtError('token has invalid claims: token contains an invalid number');
      if (nowSeconds >= exp) throw new JwtError('token has invalid claims: token is expired');
    }
    const nbf = payload.nbf;
    if (typeof nbf === 'number' && nowSeconds < nbf) throw new JwtError('token has invalid claims: token is not valid yet');
    return { header, payload };
  }
}
