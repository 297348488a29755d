import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@modelport/observability';
import { LocalPluginProcess } from './local-plugin-process';
import { PluginCallError, PluginConnection } from './plugin-connection';
import { PluginHost } from './plugin-host';
import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';

describe('PluginHost without running plugins', () => {
  it('refuses two local plugins with the same name', () => {
    const plugins = [
      { name: 'onnx', command: 'a' },
      { name: 'onnx', command: 'b' },
    ];
    expect(() => new PluginHost({ logger: silentLogger(), plugins })).toThrow(
      new PluginHostError(PluginHostErrorCode.INVALID_PLUGIN_CONFIG, 'Two local plugins are named "onnx"; plugin names must be unique.'),
    );
  });

  it('refuses a local plugin without a name or a command', () => {
    expect(() => new LocalPluginProcess({ name: 'x', command: '' }, { logger: silentLogger() })).toThrow(
      expect.objectContaining({ code: PluginHostErrorCode.INVALID_PLUGIN_CONFIG }),
    );
  });

  it('lists configured plugins as STARTING before start(), and answers with typed errors', async () => {
    const host = new PluginHost({ logger: silentLogger(), plugins: [{ name: 'later', command: '/bin/false' }] });
    expect(host.list()).toEqual([
      expect.objectContaining({ name: 'later', kind: 'local', health: 'STARTING', id: null, formats: [], pid: null, restarts: 0, loadedModels: [] }),
    ]);
    expect(() => host.choose('onnx')).toThrow(expect.objectContaining({ code: PluginHostErrorCode.NO_PLUGIN_FOR_FORMAT }));
    expect(() => host.connection('other')).toThrow('No plugin is named "other" (known plugins: later).');
    // Calls to a plugin that has not started fail at once, without a network round trip.
    await expect(host.connection('later').getInfo()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, message: 'plugin "later" has not started yet' });
    await host.close();
  });
});

describe('PluginCallError', () => {
  it.each([
    [grpc.status.NOT_FOUND, 'NOT_FOUND', 'NOT_FOUND'],
    [grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'BAD_USER_INPUT'],
    [grpc.status.FAILED_PRECONDITION, 'FAILED_PRECONDITION', 'BAD_USER_INPUT'],
    [grpc.status.ALREADY_EXISTS, 'ALREADY_EXISTS', 'CONFLICT'],
    [grpc.status.UNAVAILABLE, 'UNAVAILABLE', 'UNAVAILABLE'],
    [grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED', 'UNAVAILABLE'],
    [grpc.status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED', 'UNAVAILABLE'],
    [grpc.status.INTERNAL, 'INTERNAL', 'INTERNAL'],
  ])('maps status %s (%s) to the error kind %s', (code, status, kind) => {
    const err = new PluginCallError(code, 'm', 'p', 'ModelInfer');
    expect([err.status, err.kind]).toEqual([status, kind]);
  });

  it('is raised at once by a connection that is not attached', async () => {
    const connection = new PluginConnection('idle', null);
    expect(connection.available).toBe(false);
    expect(connection.address).toBeNull();
    await expect(connection.infer({ model_name: 'm' })).rejects.toEqual(new PluginCallError(grpc.status.UNAVAILABLE, 'plugin "idle" is not connected yet', 'idle', 'ModelInfer'));
  });
});
