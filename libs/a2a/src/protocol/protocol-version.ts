import type { ProtocolVersion } from './dialect.js';

/**
 * The dialect a request speaks, from its `A2A-Version` header: none (or 0.3) is v0.3, as the
 * v1.0 spec requires of servers; 1.0 is v1.0; anything else is null (-32009).
 */
export function protocolOf(header: string | undefined): ProtocolVersion | null {
  const value = header?.trim() ?? '';
  if (value === '' || value === '0.3' || value === '0.3.0') return '0.3';
  if (value === '1.0' || value === '1.0.0') return '1.0';
  return null;
}
