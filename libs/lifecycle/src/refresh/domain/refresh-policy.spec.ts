import { RefreshError, RefreshErrorCode } from './refresh.errors';
import { accuracyBreached, validateRefreshPolicy, type RefreshPolicyInput } from './refresh-policy';

const base: RefreshPolicyInput = { minIntervalMinutes: 60, action: 'WEBHOOK', webhookUrl: 'https://retrain.example.com/hook' };

function refusal(input: RefreshPolicyInput): RefreshError {
  try {
    validateRefreshPolicy(input);
  } catch (err) {
    if (err instanceof RefreshError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('validateRefreshPolicy', () => {
  it('fills the defaults and keeps what was given', () => {
    expect(validateRefreshPolicy(base)).toEqual({
      enabled: true,
      scheduleEveryHours: null,
      onDriftRed: false,
      accuracyBelow: null,
      maxModelAgeDays: null,
      minIntervalMinutes: 60,
      action: 'WEBHOOK',
      webhookUrl: 'https://retrain.example.com/hook',
      dataWindowDays: 7,
    });
    expect(
      validateRefreshPolicy({ enabled: false, scheduleEveryHours: 24, onDriftRed: true, accuracyBelow: { metric: 'rmse', threshold: 3.5 }, maxModelAgeDays: 30, minIntervalMinutes: 1, action: 'queue', dataWindowDays: 14 }),
    ).toEqual({
      enabled: false,
      scheduleEveryHours: 24,
      onDriftRed: true,
      accuracyBelow: { metric: 'rmse', threshold: 3.5 },
      maxModelAgeDays: 30,
      minIntervalMinutes: 1,
      action: 'QUEUE',
      webhookUrl: null,
      dataWindowDays: 14,
    });
    // Loopback receivers may use plain http (monitoring's webhook rules).
    expect(validateRefreshPolicy({ ...base, webhookUrl: 'http://127.0.0.1:8080/x' }).webhookUrl).toBe('http://127.0.0.1:8080/x');
  });

  it.each<[string, RefreshPolicyInput, string, RegExp]>([
    ['no minimum interval', { ...base, minIntervalMinutes: null }, 'minIntervalMinutes', /required/],
    ['a zero minimum interval', { ...base, minIntervalMinutes: 0 }, 'minIntervalMinutes', /from 1 to 525600/],
    ['a fractional interval', { ...base, minIntervalMinutes: 1.5 }, 'minIntervalMinutes', /whole number/],
    ['a zero schedule', { ...base, scheduleEveryHours: 0 }, 'scheduleEveryHours', /from 1 to 8760/],
    ['a model age of -1 days', { ...base, maxModelAgeDays: -1 }, 'maxModelAgeDays', /from 1 to 3650/],
    ['a data window of 400 days', { ...base, dataWindowDays: 400 }, 'dataWindowDays', /from 1 to 365/],
    ['an unknown metric', { ...base, accuracyBelow: { metric: 'auc', threshold: 0.8 } }, 'accuracyBelow.metric', /use one of accuracy, precision/],
    ['a NaN threshold', { ...base, accuracyBelow: { metric: 'f1', threshold: Number.NaN } }, 'accuracyBelow.threshold', /finite/],
    ['an accuracy given in percent', { ...base, accuracyBelow: { metric: 'accuracy', threshold: 80 } }, 'accuracyBelow.threshold', /fraction \(0.8 for 80 %\)/],
    ['a zero error threshold', { ...base, accuracyBelow: { metric: 'mae', threshold: 0 } }, 'accuracyBelow.threshold', /above 0/],
    ['an r2 threshold over 1', { ...base, accuracyBelow: { metric: 'r2', threshold: 1.5 } }, 'accuracyBelow.threshold', /at most 1/],
    ['an unknown action', { ...base, action: 'EMAIL' }, 'action', /WEBHOOK .* or QUEUE/],
    ['a webhook without a URL', { ...base, webhookUrl: null }, 'webhookUrl', /needs webhookUrl/],
    ['a plain http URL off loopback', { ...base, webhookUrl: 'http://retrain.example.com/hook' }, 'webhookUrl', /must use https/],
    ['credentials in the URL', { ...base, webhookUrl: 'https://u:p@retrain.example.com/' }, 'webhookUrl', /no credentials/],
    ['not a URL', { ...base, webhookUrl: 'retrain' }, 'webhookUrl', /is not a URL/],
    ['a URL on a QUEUE policy', { ...base, action: 'QUEUE' }, 'webhookUrl', /WEBHOOK policies only/],
  ])('refuses %s, naming the field', (_what, input, field, message) => {
    const err = refusal(input);
    expect(err.code).toBe(RefreshErrorCode.INVALID_ARGUMENT);
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ field });
    expect(err.message).toMatch(message);
  });
});

describe('accuracyBreached', () => {
  it('is below the threshold for scores and above it for errors', () => {
    expect(accuracyBreached('accuracy', 0.79, 0.8)).toBe(true);
    expect(accuracyBreached('accuracy', 0.8, 0.8)).toBe(false);
    expect(accuracyBreached('r2', -0.2, 0.5)).toBe(true);
    expect(accuracyBreached('rmse', 4, 3.5)).toBe(true);
    expect(accuracyBreached('rmse', 3, 3.5)).toBe(false);
    expect(accuracyBreached('logLoss', 0.7, 0.69)).toBe(true);
  });
});
