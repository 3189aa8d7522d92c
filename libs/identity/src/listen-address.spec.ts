import { assertListenAddressAllowed, isLoopbackHost } from './listen-address.js';

describe('listen address', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback host while auth is off', () => {
    expect(() => assertListenAddressAllowed('0.0.0.0', false)).toThrow(/refusing to listen on 0.0.0.0 with auth off/);
    expect(assertListenAddressAllowed('127.0.0.1', false)).toEqual({ authOff: true });
    expect(assertListenAddressAllowed('0.0.0.0', true)).toEqual({ authOff: false });
  });
});
