import { isEntitled } from './statuses.js';

describe('isEntitled', () => {
  const now = new Date('2026-12-10T12:00:00.000Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

  it.each(['active', 'trialing'])('grants access while %s, whatever the grace', (status) => {
    expect(isEntitled({ status, pastDueSince: null }, 0, now)).toBe(true);
  });

  it.each(['unpaid', 'paused', 'canceled', 'incomplete', 'incomplete_expired', 'something_new'])(
    'refuses it while %s, even with grace days',
    (status) => {
      expect(isEntitled({ status, pastDueSince: daysAgo(0) }, 30, now)).toBe(false);
    },
  );

  it('grants past_due only within the grace days counted from past_due_since', () => {
    expect(isEntitled({ status: 'past_due', pastDueSince: daysAgo(0) }, 0, now)).toBe(false);
    expect(isEntitled({ status: 'past_due', pastDueSince: daysAgo(2.99) }, 3, now)).toBe(true);
    expect(isEntitled({ status: 'past_due', pastDueSince: daysAgo(3) }, 3, now)).toBe(false);
    expect(isEntitled({ status: 'past_due', pastDueSince: null }, 3, now)).toBe(false);
  });
});
