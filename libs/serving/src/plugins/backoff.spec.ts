import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles from the initial delay up to the maximum', () => {
    const backoff = new Backoff({ initialDelayMs: 250, maxDelayMs: 30_000 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoff.failures).toBe(10);
  });

  it('starts again from the initial delay after reset()', () => {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(100);
  });

  it('does not overflow after very many failures', () => {
    const backoff = new Backoff({ initialDelayMs: 1, maxDelayMs: 5000 });
    for (let i = 0; i < 2000; i++) backoff.next();
    expect(backoff.next()).toBe(5000);
  });
});
