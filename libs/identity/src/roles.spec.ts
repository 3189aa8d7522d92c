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

  it('lets the backup contact read the system state and shut down, nothing else', () => {
    expect(rolesWith('system.shutdown')).toEqual(['operator', 'admin', 'backup']);
    expect(rolesWith('system.read')).toEqual(['viewer', 'agent', 'operator', 'admin', 'backup']);
    for (const permission of ['read', 'runs.submit', 'runs.control', 'approvals.decide', 'admin'] as const) {
      expect(roleAllows('backup', permission)).toBe(false);
    }
  });
});
