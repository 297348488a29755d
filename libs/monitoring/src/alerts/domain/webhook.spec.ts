import { createHmac } from 'node:crypto';
import { AlertError } from './alert.errors';
import { retryDelayMs, signWebhook, validateWebhookUrl, verifyWebhook } from './webhook';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = JSON.stringify({ event: 'alert.fired', value: 0.3 });

  it('signs "<timestamp>.<body>" with HMAC-SHA256, as a receiver recomputes it', () => {
    const header = signWebhook(secret, 1_800_000_000, body);
    const expected = createHmac('sha256', secret).update(`1800000000.${body}`).digest('hex');
    expect(header).toBe(`t=1800000000,v1=${expected}`);
    expect(verifyWebhook(secret, header, body, 1_800_000_010)).toBe(true);
  });

  it('refuses another body, another secret, a replay outside the tolerance and garbage', () => {
    const header = signWebhook(secret, 1_800_000_000, body);
    expect(verifyWebhook(secret, header, body.replace('0.3', '0.4'), 1_800_000_000)).toBe(false);
    expect(verifyWebhook('whsec_other', header, body, 1_800_000_000)).toBe(false);
    expect(verifyWebhook(secret, header, body, 1_800_000_000 + 301)).toBe(false);
    expect(verifyWebhook(secret, 'nonsense', body, 1_800_000_000)).toBe(false);
  });
});

describe('webhook URLs and retries', () => {
  it('accepts https and loopback http only, without credentials', () => {
    expect(validateWebhookUrl('https://hooks.example.com/modelport')).toBe('https://hooks.example.com/modelport');
    expect(validateWebhookUrl('http://127.0.0.1:9000/x')).toBe('http://127.0.0.1:9000/x');
    for (const [url, why] of [
      ['http://hooks.example.com/x', /https:\/\//],
      ['ftp://hooks.example.com', /https:\/\//],
      ['not a url', /not a URL/],
      ['https://user:pw@hooks.example.com', /no credentials/],
    ] as const) {
      expect(() => validateWebhookUrl(url)).toThrow(AlertError);
      expect(() => validateWebhookUrl(url)).toThrow(why);
    }
  });

  it('backs off exponentially, capped at ten minutes', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a))).toEqual([2000, 4000, 8000, 16000]);
    expect(retryDelayMs(30)).toBe(600_000);
  });
});
