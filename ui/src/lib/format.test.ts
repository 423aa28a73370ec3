import { describe, expect, it } from 'vitest';

import { displayName, formatRelativeTime, formatSize } from './format';

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [74_812_345, '74.8 MB'],
    [312_400_000, '312 MB'],
    [999_950, '1.00 MB'],
    [1_050_000_000, '1.05 GB'],
    [3_200_000_000_000, '3.20 TB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});

describe('formatRelativeTime', () => {
  const now = new Date('2025-06-15T12:00:00Z');

  it.each([
    ['2025-06-15T11:59:30Z', 'just now'],
    ['2025-06-15T11:55:00Z', '5 minutes ago'],
    ['2025-06-15T09:00:00Z', '3 hours ago'],
    ['2025-06-12T12:00:00Z', '3 days ago'],
    ['2025-06-14T11:00:00Z', '1 day ago'],
    ['2025-05-25T12:00:00Z', '3 weeks ago'],
    ['2025-03-01T12:00:00Z', '3 months ago'],
    ['2023-06-01T12:00:00Z', '2 years ago'],
    ['2025-06-18T12:00:00Z', 'in 3 days'],
  ])('%s → %s', (iso, text) => {
    expect(formatRelativeTime(iso, now)).toBe(text);
  });

  it('gives null for a missing or unreadable date', () => {
    expect(formatRelativeTime(null, now)).toBeNull();
    expect(formatRelativeTime('yesterday-ish', now)).toBeNull();
  });
});

describe('displayName', () => {
  it('shortens Docker Hub names as Docker does', () => {
    expect(displayName('docker.io/library/nginx')).toBe('nginx');
    expect(displayName('docker.io/bitnami/redis')).toBe('bitnami/redis');
    expect(displayName('ghcr.io/owner/tool')).toBe('ghcr.io/owner/tool');
  });
});
