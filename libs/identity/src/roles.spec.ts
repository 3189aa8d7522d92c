import { roleAllows, rolesWith } from './roles.js';

describe('roles', () => {
  it('lets every role read', () => {
    expect(rolesWith('read')).toEqual(['viewer', 'agent', 'operator', 'admin']);
  });

  it('keeps agent and operator apart: neither holds the other one\'s permissions', () => {
    expect(roleAllows('agent', 'runs.submit')).toBe(true);
    expect(roleAllows('agent', 'runs.control')).toBe(false);
    expect(roleAllows('operator', 'runs.control')).toBe(true);
    expect(roleAllows('operator', 'approvals.decide')).toBe(true);
    expect(roleAllows('operator', 'runs.submit')).toBe(false);
  });

  it('gives admin everything and nobody else admin', () => {
    expect(rolesWith('admin')).toEqual(['admin']);
    expect(rolesWith('runs.submit')).toEqual(['agent', 'admin']);
  });
});
