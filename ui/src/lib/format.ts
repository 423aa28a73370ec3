// How the UI writes sizes, times and image names. Pure functions: time is passed in.

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/**
 * Bytes in decimal units with three significant digits, as Docker shows sizes:
 * 512 → "512 B", 74_812_345 → "74.8 MB", 1_050_000_000 → "1.05 GB".
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let unit = Math.min(Math.floor(Math.log10(bytes) / 3), SIZE_UNITS.length - 1);
  let value = bytes / 1000 ** unit;
  // 999_950 B rounds to "1000 kB": carry it to "1.00 MB".
  if (Number(value.toPrecision(3)) >= 1000 && unit < SIZE_UNITS.length - 1) {
    unit += 1;
    value = bytes / 1000 ** unit;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${SIZE_UNITS[unit]}`;
}

const STEPS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

/**
 * How long ago `iso` (RFC 3339) was, seen from `now`: "3 days ago", "2 months ago",
 * "just now". `null` or an unreadable date gives `null`.
 */
export function formatRelativeTime(iso: string | null, now: Date): string | null {
  if (iso === null) return null;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return null;
  const seconds = Math.round((then - now.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  for (const [unit, size] of STEPS) {
    if (magnitude >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return 'just now';
}

/** `iso` as an absolute local date and time, for tooltips; `null` if unreadable. */
export function formatDateTime(iso: string | null): string | null {
  if (iso === null) return null;
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return null;
  return then.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * A repository as Docker shows it: Docker Hub's official images without their prefix
 * (`docker.io/library/nginx` → `nginx`), other Hub images without the host
 * (`docker.io/bitnami/redis` → `bitnami/redis`), every other registry in full.
 */
export function displayName(repository: string): string {
  if (repository.startsWith('docker.io/library/')) return repository.slice('docker.io/library/'.length);
  if (repository.startsWith('docker.io/')) return repository.slice('docker.io/'.length);
  return repository;
}
