import { BrowserRequestPolicy, bareHost } from './browser-guard.js';

const loopback = new BrowserRequestPolicy({ listenHost: '127.0.0.1', allowedOrigins: [], allowedHosts: [] });

describe('BrowserRequestPolicy', () => {
  it('lets requests without Origin through: curl, agents, server-side clients', () => {
    expect(loopback.refusal({ host: '127.0.0.1:3000' })).toBeUndefined();
    expect(loopback.refusal({})).toBeUndefined();
  });

  it('lets same-origin browser requests through under every loopback name', () => {
    expect(loopback.refusal({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' })).toBeUndefined();
    expect(loopback.refusal({ host: 'localhost:3000', origin: 'http://localhost:3000' })).toBeUndefined();
    expect(loopback.refusal({ host: '[::1]:3000', origin: 'http://[::1]:3000' })).toBeUndefined();
  });

  it('refuses another origin, a null origin and a port mismatch', () => {
    expect(loopback.refusal({ host: '127.0.0.1:3000', origin: 'https://attacker.example' })).toMatch(/cross-origin request from "https:\/\/attacker.example" refused.*BATON_ALLOWED_ORIGINS/);
    expect(loopback.refusal({ host: '127.0.0.1:3000', origin: 'null' })).toMatch(/cross-origin/);
    expect(loopback.refusal({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:8080' })).toMatch(/cross-origin/);
  });

  it('refuses a Host it does not serve on loopback (DNS rebinding)', () => {
    expect(loopback.refusal({ host: 'attacker.example:3000' })).toMatch(/Host "attacker.example:3000" is not a name this server answers to.*BATON_ALLOWED_HOSTS/);
    // Same-origin by the letter, but the name was rebound to 127.0.0.1.
    expect(loopback.refusal({ host: 'attacker.example:3000', origin: 'http://attacker.example:3000' })).toMatch(/Host/);
  });

  it('serves configured origins and hosts', () => {
    const policy = new BrowserRequestPolicy({ listenHost: '127.0.0.1', allowedOrigins: ['https://ops.example.com/'], allowedHosts: ['baton.local'] });
    expect(policy.refusal({ host: '127.0.0.1:3000', origin: 'https://ops.example.com' })).toBeUndefined();
    expect(policy.refusal({ host: 'baton.local:3000', origin: 'http://baton.local:3000' })).toBeUndefined();
    expect(policy.refusal({ host: 'other.local' })).toMatch(/Host/);
  });

  it('turns either check off with *', () => {
    const open = new BrowserRequestPolicy({ listenHost: '127.0.0.1', allowedOrigins: ['*'], allowedHosts: ['*'] });
    expect(open.refusal({ host: 'anything.example', origin: 'https://elsewhere.example' })).toBeUndefined();
  });

  it('does not check the Host on a non-loopback address unless hosts are configured', () => {
    const wide = new BrowserRequestPolicy({ listenHost: '0.0.0.0', allowedOrigins: [], allowedHosts: [] });
    expect(wide.refusal({ host: 'baton.internal:3000' })).toBeUndefined();
    expect(wide.refusal({ host: 'baton.internal:3000', origin: 'https://baton.internal:3000' })).toBeUndefined();
    expect(wide.refusal({ host: 'baton.internal:3000', origin: 'https://attacker.example' })).toMatch(/cross-origin/);
    const named = new BrowserRequestPolicy({ listenHost: '0.0.0.0', allowedOrigins: [], allowedHosts: ['baton.example.com'] });
    expect(named.refusal({ host: 'baton.example.com' })).toBeUndefined();
    expect(named.refusal({ host: 'rebound.example' })).toMatch(/Host/);
  });

  it('treats a default port in Host as the origin without one', () => {
    const named = new BrowserRequestPolicy({ listenHost: '0.0.0.0', allowedOrigins: [], allowedHosts: [] });
    expect(named.refusal({ host: 'baton.example.com:443', origin: 'https://baton.example.com' })).toBeUndefined();
  });
});

describe('bareHost', () => {
  it('strips ports and brackets and lower-cases', () => {
    expect(['LocalHost:3000', '[::1]:80', '::1', '127.0.0.1', ''].map(bareHost)).toEqual(['localhost', '::1', '::1', '127.0.0.1', undefined]);
  });
});
