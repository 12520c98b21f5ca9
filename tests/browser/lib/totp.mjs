// RFC 6238 TOTP codes computed independently of the server (node's crypto only),
// and a book of the time steps already used per person: the server accepts each
// code once and refuses a step at or before the last one used.

import { createHmac } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (padding and case ignored) to bytes. */
export function base32Decode(text) {
  const clean = text.replace(/=+$/u, '').replace(/\s+/gu, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new Error('the TOTP secret is not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The parameters of an `otpauth://totp/…` URI. */
export function parseTotpUri(uri) {
  const url = new URL(uri);
  if (url.protocol !== 'otpauth:' || url.host !== 'totp') {
    throw new Error('not an otpauth://totp/ URI');
  }
  const secret = url.searchParams.get('secret');
  if (!secret) throw new Error('the otpauth URI has no secret');
  return {
    key: base32Decode(secret),
    algorithm: (url.searchParams.get('algorithm') ?? 'SHA1').toLowerCase().replace('-', ''),
    digits: Number(url.searchParams.get('digits') ?? 6),
    period: Number(url.searchParams.get('period') ?? 30),
  };
}

/** RFC 4226 HOTP of `counter`. */
export function hotp({ key, algorithm = 'sha1', digits = 6 }, counter) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(number).padStart(digits, '0');
}

/**
 * Hands out one unused TOTP code per sign-in. The server accepts the current step
 * and one either side, each once and in increasing order, so a second sign-in of
 * the same person within one period takes the next step.
 */
export class TotpBook {
  #last = new Map();

  code(name, params, nowMs = Date.now()) {
    const current = Math.floor(nowMs / 1000 / params.period);
    const last = this.#last.get(name);
    const step = last === undefined ? current : Math.max(current, last + 1);
    if (step > current + 1) {
      throw new Error(`no unused TOTP step for ${name} until the next ${params.period} s period`);
    }
    this.#last.set(name, step);
    return hotp(params, step);
  }
}
