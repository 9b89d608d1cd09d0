import { describe, expect, it } from 'vitest';
import { nearMissReason, passesGuards } from '../../src/index.js';

describe('near-miss guards', () => {
  it('lets paraphrases through', () => {
    expect(nearMissReason('How do I reset my password?', 'I forgot my password, how can I reset it?')).toBeUndefined();
    expect(nearMissReason("What's the way to back up the database?", 'How do I back up my database?')).toBeUndefined();
    expect(nearMissReason('How do I set up SSO with Okta?', 'How can I configure SSO using Okta?')).toBeUndefined();
    expect(nearMissReason("I can't log in", 'I am unable to log in')).toBeUndefined();
    expect(passesGuards('Refund order 4411', 'Please refund order 4411')).toBe(true);
  });

  it('rejects a change of negation, contractions included', () => {
    expect(nearMissReason('I can log in to the dashboard', "I can't log in to the dashboard")).toBe('negation');
    expect(nearMissReason('Why is my webhook receiving events?', 'Why is my webhook not receiving events?')).toBe('negation');
    expect(nearMissReason('Deploy with the cache', 'Deploy without the cache')).toBe('negation');
    expect(nearMissReason('I received the email', 'I never received the email')).toBe('negation');
    expect(nearMissReason('The sync finished', 'The sync didn’t finish')).toBe('negation');
  });

  it('rejects changed numbers, in digits or words, and reordered ones', () => {
    expect(nearMissReason('Refund order 4411', 'Refund order 4141')).toBe('number');
    expect(nearMissReason('Allow two exports', 'Allow twelve exports')).toBe('number');
    expect(nearMissReason('Charged $1,000', 'Charged $1000')).toBeUndefined();
    expect(nearMissReason('Node 18 fails but Node 20 works', 'Node 20 fails but Node 18 works')).toBe('number');
  });

  it('rejects different or swapped entities', () => {
    expect(nearMissReason('Migrate from MySQL to Postgres', 'Migrate from Postgres to MySQL')).toBe('entity-order');
    expect(nearMissReason('Why is the iOS app larger than the Android app?', 'Why is the Android app larger than the iOS app?')).toBe(
      'entity-order',
    );
    expect(nearMissReason('How do I connect Slack?', 'How do I connect Teams?')).toBe('entity');
    expect(nearMissReason('Set replicas in us-east-1', 'Set replicas in us-east-2')).not.toBeUndefined();
  });

  it('does not treat a capitalised sentence opener as a name', () => {
    expect(nearMissReason('Search results look stale, why?', 'Why is the search returning stale results?')).toBeUndefined();
    expect(nearMissReason('Archive old projects. Then export them.', 'archive old projects, then export them')).toBeUndefined();
  });
});
