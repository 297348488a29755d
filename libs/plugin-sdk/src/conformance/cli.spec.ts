import { splitCommand } from './cli';

describe('the conformance CLI', () => {
  it('splits --launch like a shell would, for the simple cases', () => {
    expect(splitCommand('node dist/plugin.js')).toEqual(['node', 'dist/plugin.js']);
    expect(splitCommand(`  python3 -m "my plugin"  --name 'a b' x\\ y ""`)).toEqual(['python3', '-m', 'my plugin', '--name', 'a b', 'x y', '']);
    expect(() => splitCommand('node "unterminated')).toThrow('unbalanced " in --launch');
  });
});
