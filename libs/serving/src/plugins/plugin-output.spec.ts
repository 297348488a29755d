import { forwardPluginLine } from './plugin-output';
import { capturingLogger } from './testing/capturing-logger';

describe('forwardPluginLine', () => {
  it('logs a text line at info with the stream, the pid and the plugin name from the logger', () => {
    const { logger, lines } = capturingLogger();
    forwardPluginLine(logger.child({ plugin: 'onnx' }), 'stderr', 42, 'loading CUDA provider\r');
    expect(lines).toEqual([expect.objectContaining({ level: 30, plugin: 'onnx', stream: 'stderr', pid: 42, msg: 'loading CUDA provider' })]);
  });

  it('keeps level, message and fields of a structured (pino or hclog) line, without overwriting the plugin name', () => {
    const { logger, lines } = capturingLogger();
    const child = logger.child({ plugin: 'onnx' });
    forwardPluginLine(child, 'stderr', 7, JSON.stringify({ level: 50, time: 1, pid: 99, msg: 'load failed', model: 'm1', plugin: 'spoofed' }));
    forwardPluginLine(child, 'stderr', 7, JSON.stringify({ '@level': 'warning', '@message': 'slow', '@timestamp': 'x', took_ms: 900 }));
    expect(lines[0]).toMatchObject({ level: 50, msg: 'load failed', model: 'm1', plugin: 'onnx', pid: 7, stream: 'stderr' });
    expect(lines[1]).toMatchObject({ level: 40, msg: 'slow', took_ms: 900, plugin: 'onnx' });
  });

  it('logs JSON without a level and message as text, and skips blank lines', () => {
    const { logger, lines } = capturingLogger();
    forwardPluginLine(logger, 'stdout', 1, '{"a":1}');
    forwardPluginLine(logger, 'stdout', 1, '   ');
    expect(lines).toEqual([expect.objectContaining({ level: 30, msg: '{"a":1}', stream: 'stdout' })]);
  });

  it('cuts very long lines', () => {
    const { logger, lines } = capturingLogger();
    forwardPluginLine(logger, 'stderr', 1, 'y'.repeat(100_000));
    expect(lines[0]!.msg.length).toBeLessThan(17_000);
    expect(lines[0]!.msg).toMatch(/more characters\)$/);
  });
});
