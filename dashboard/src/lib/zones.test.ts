import { describe, expect, it } from 'vitest';
import { zoneChoices } from './zones';

describe('zoneChoices', () => {
  it('lists the browser zone, UTC and the current zone first, each once', () => {
    const groups = zoneChoices('Asia/Kolkata', 'Europe/Paris', ['Asia/Kolkata', 'Europe/Paris', 'UTC', 'America/New_York']);
    expect(groups).toEqual([
      { label: 'Common', zones: ['Europe/Paris', 'UTC', 'Asia/Kolkata'] },
      { label: 'All zones', zones: ['America/New_York'] },
    ]);
  });

  it('lists the real IANA zones by default', () => {
    const all = zoneChoices('UTC', 'UTC').flatMap((g) => g.zones);
    expect(all).toContain('Europe/Paris');
    expect(all.filter((z) => z === 'UTC')).toHaveLength(1);
  });
});
