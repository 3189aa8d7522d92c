import { BatonConfig } from './config.js';

describe('BatonConfig aliases', () => {
  it('reads EVENT_RETENTION_HOURS (the seed\'s name) when BATON_EVENT_RETENTION_HOURS is not set', () => {
    expect(new BatonConfig({ EVENT_RETENTION_HOURS: '48' }).eventRetentionHours).toBe(48);
    expect(new BatonConfig({ EVENT_RETENTION_HOURS: '48', BATON_EVENT_RETENTION_HOURS: '12' }).eventRetentionHours).toBe(12);
    expect(new BatonConfig({}).eventRetentionHours).toBe(720);
  });

  it('names the alias when its value is bad', () => {
    let details: unknown;
    try {
      new BatonConfig({ EVENT_RETENTION_HOURS: 'soon' });
    } catch (error) {
      details = (error as { details?: unknown }).details;
    }
    expect(details).toEqual([expect.objectContaining({ path: 'EVENT_RETENTION_HOURS' })]);
  });
});
