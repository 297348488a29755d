import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidAlertArgument } from './alert.errors';

/** The header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-modelport-signature';
export const EVENT_HEADER = 'x-modelport-event';
export const DELIVERY_HEADER = 'x-modelport-delivery';

/** A new signing secret for a channel (shown once on creation). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

/**
 * For receivers (and tests): whether `header` signs `body` with `secret`, no older than `toleranceSeconds`.
 * Comparing in constant time; the timestamp inside the MAC stops replays of old deliveries.
 */
export function verifyWebhook(secret: string, header: string, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  const v1 = parts['v1'];
  if (!Number.isInteger(t) || typeof v1 !== 'string' || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1]!, 'hex');
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A webhook URL: https, or http to a loopback address (for local receivers and tests). */
export function validateWebhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidAlertArgument('url', `"${value}" is not a URL; give the receiver's https:// address.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw invalidAlertArgument('url', `Webhook URLs must use https:// (http:// only to localhost); got ${url.protocol}//${url.host}.`);
  }
  if (url.username || url.password) throw invalidAlertArgument('url', 'Put no credentials in the webhook URL; deliveries are signed with the channel secret instead.');
  return url.toString();
}

/** The wait before try `attempt + 1` after `attempt` failed: 2 s, 4 s, 8 s ... capped at 10 minutes. */
export function retryDelayMs(attempt: number, baseMs = 2000): number {
  return Math.min(baseMs * 2 ** (attempt - 1), 600_000);
}
