import { caught } from '@modelport/testing';
import { AccuracyErrorCode } from './accuracy.errors';
import { validateMonitoringSettings, type MonitoringSettingsInput } from './monitoring-settings';

describe('validateMonitoringSettings', () => {
  it('accepts a regression, a binary and a multiclass classification', () => {
    expect(validateMonitoringSettings({ task: 'regression', labelOutput: 'prediction' })).toEqual({
      task: 'regression',
      labelOutput: 'prediction',
      probabilityOutput: null,
      positiveClass: null,
      classes: null,
    });
    expect(validateMonitoringSettings({ task: 'classification', labelOutput: 'label', probabilityOutput: 'p', positiveClass: '1' })).toMatchObject({ positiveClass: '1', classes: null });
    expect(validateMonitoringSettings({ task: 'classification', labelOutput: 'label', probabilityOutput: 'p', classes: ['a', 'b', 'c'] })).toMatchObject({ classes: ['a', 'b', 'c'] });
  });

  it.each<[MonitoringSettingsInput, string, RegExp]>([
    [{ task: 'ranking' as never, labelOutput: 'x' }, 'task', /task must be one of classification, regression/],
    [{ task: 'regression', labelOutput: ' ' }, 'labelOutput', /must name an output tensor/],
    [{ task: 'regression', labelOutput: 'y', probabilityOutput: 'p' }, 'probabilityOutput', /classification only/],
    [{ task: 'regression', labelOutput: 'y', classes: ['a', 'b'] }, 'classes', /classification only/],
    [{ task: 'classification', labelOutput: 'y', classes: ['a'] }, 'classes', /2 to 1000 labels/],
    [{ task: 'classification', labelOutput: 'y', classes: ['a', 'b', 'a'] }, 'classes', /lists "a" twice/],
    [{ task: 'classification', labelOutput: 'y', classes: ['a', 'b'], positiveClass: 'c' }, 'positiveClass', /not one of classes/],
    [{ task: 'classification', labelOutput: 'y', probabilityOutput: 'y', positiveClass: '1' }, 'probabilityOutput', /another output than labelOutput/],
    [{ task: 'classification', labelOutput: 'y', probabilityOutput: 'p' }, 'classes', /multiclass probability output needs classes/],
  ])('refuses %j', async (input, field, message) => {
    const err = await caught(Promise.resolve().then(() => validateMonitoringSettings(input)));
    expect(err.code).toBe(AccuracyErrorCode.INVALID_MONITORING_SETTINGS);
    expect(err.details).toEqual({ field });
    expect(err.message).toMatch(message);
  });
});
