import { AlertError } from './alert.errors';
import { step, validateAlertRule } from './alert.rules';
import { INITIAL_STANDING, type RuleStanding } from './alert.types';

function refusal(fn: () => unknown): AlertError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AlertError) return err;
    throw err;
  }
  throw new Error('expected an AlertError');
}

describe('validateAlertRule', () => {
  it('fills the defaults per kind', () => {
    expect(validateAlertRule({ kind: 'ERROR_RATE', threshold: 0.05 })).toEqual({
      kind: 'ERROR_RATE',
      threshold: 0.05,
      comparison: 'above',
      windowMinutes: 5,
      fireAfter: 1,
      resolveAfter: 1,
      metric: null,
      channelIds: [],
      notifyOwners: true,
    });
    expect(validateAlertRule({ kind: 'ACCURACY', threshold: 0.9 })).toMatchObject({ comparison: 'below', metric: 'accuracy', windowMinutes: 60 });
    expect(validateAlertRule({ kind: 'NO_TRAFFIC', threshold: 0 })).toMatchObject({ comparison: 'below' });
  });

  it.each([
    [{ kind: 'CPU', threshold: 1 }, 'kind', /Unknown alert kind "CPU"; use one of DRIFT_STATUS/],
    [{ kind: 'ERROR_RATE', threshold: 5 }, 'threshold', /share from 0 to 1/],
    [{ kind: 'ERROR_RATE', threshold: Number.NaN }, 'threshold', /finite number/],
    [{ kind: 'DRIFT_STATUS', threshold: 3 }, 'threshold', /threshold 1 \(amber or red\) or 2/],
    [{ kind: 'LATENCY_P99', threshold: -1 }, 'threshold', /must not be negative/],
    [{ kind: 'ERROR_RATE', threshold: 0.1, comparison: 'sideways' }, 'comparison', /"above" or "below"/],
    [{ kind: 'ACCURACY', threshold: 0.9, metric: 'vibes' }, 'metric', /Unknown accuracy metric "vibes"/],
    [{ kind: 'ERROR_RATE', threshold: 0.1, metric: 'f1' }, 'metric', /ACCURACY rules only/],
    [{ kind: 'ERROR_RATE', threshold: 0.1, fireAfter: 0 }, 'fireAfter', /whole number from 1 to 60/],
    [{ kind: 'ERROR_RATE', threshold: 0.1, windowMinutes: 1.5 }, 'windowMinutes', /whole number/],
  ])('refuses %j, naming %s', (input, field, message) => {
    const err = refusal(() => validateAlertRule(input));
    expect(err.details['field']).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('step: hysteresis and de-duplication', () => {
  const rule = { threshold: 0.1, comparison: 'above' as const, fireAfter: 2, resolveAfter: 3 };

  function run(values: (number | null)[]): { events: (string | null)[]; standing: RuleStanding } {
    let standing = INITIAL_STANDING;
    const events: (string | null)[] = [];
    for (const v of values) {
      const r = step(rule, standing, v);
      standing = r.standing;
      events.push(r.event);
    }
    return { events, standing };
  }

  it('fires after fireAfter breaches in a row, once, and resolves after resolveAfter clear evaluations in a row', () => {
    expect(run([0.2, 0.05, 0.2, 0.2, 0.3, 0.4, 0.01, 0.2, 0.01, 0.01, 0.01]).events).toEqual([
      null, // one breach
      null, // cleared: the count starts over
      null,
      'fired', // the second breach in a row
      null, // still firing: no second alert
      null,
      null, // one clear
      null, // breach again: the clear count starts over
      null,
      null,
      'resolved',
    ]);
  });

  it('treats the threshold itself as a breach, and no data as no change', () => {
    const once = { ...rule, fireAfter: 1, resolveAfter: 1 };
    expect(step(once, INITIAL_STANDING, 0.1).event).toBe('fired');
    const firing: RuleStanding = { state: 'FIRING', breaches: 4, clears: 0 };
    expect(step(once, firing, null)).toEqual({ standing: firing, event: null });
    expect(step(once, firing, Number.NaN)).toEqual({ standing: firing, event: null });
    expect(step({ ...once, comparison: 'below', threshold: 0 }, INITIAL_STANDING, 0).event).toBe('fired');
  });
});
