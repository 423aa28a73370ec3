// The Compare tab's logic: which image to compare with by default, how a change is marked
// and described, and the filters. Pure functions, tested in compare.test.ts.

import type {
  CompareAnswer,
  ConfigChangeRow,
  FileChangeKind,
  FileChangeRow,
  ImageRow,
  PackageChangeKind,
  PackageChangeRow,
} from '../../tauri/ipc';
import { formatSize } from '../format';

export type CompareState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; answer: CompareAnswer };

const time = (row: ImageRow): number => (row.created === null ? Number.NaN : Date.parse(row.created));

/**
 * The image to compare `image` with when the tab opens: the latest image of its repository
 * built before it (so the tab answers "what changed since the previous build?"), else the
 * earliest one built after it, else none (the person picks). Untagged images of the
 * repository count; the image itself and images that cannot be read do not.
 */
export function defaultOther(images: ImageRow[], image: ImageRow): ImageRow | null {
  if (image.repository === null) return null;
  const mine = time(image);
  const same = images.filter(
    (row) => row.repository === image.repository && row.digest !== image.digest && row.problem === null,
  );
  const dated = same.filter((row) => !Number.isNaN(time(row)));
  if (!Number.isNaN(mine)) {
    const older = dated.filter((row) => time(row) < mine).sort((a, b) => time(b) - time(a));
    if (older[0]) return older[0];
    const newer = dated.filter((row) => time(row) >= mine).sort((a, b) => time(a) - time(b));
    if (newer[0]) return newer[0];
  }
  return same[0] ?? null;
}

/** The images the person can compare with: every other readable image, one entry per
 *  digest (the first tag listed names it). */
export function candidates(images: ImageRow[], image: ImageRow): ImageRow[] {
  const seen = new Set<string>([image.digest]);
  const out: ImageRow[] = [];
  for (const row of images) {
    if (row.problem !== null || seen.has(row.digest)) continue;
    seen.add(row.digest);
    out.push(row);
  }
  return out;
}

/** How a row names an image: its reference, else `<none>` and its short ID. */
export const imageLabel = (row: { reference: string | null; shortId?: string; digest: string }): string =>
  row.reference ?? `<none> (${row.shortId ?? row.digest.slice(7, 19)})`;

/** `+1.50 MB`, `−300 B`, `±0 B`. */
export function signedSize(change: number): string {
  if (change > 0) return `+${formatSize(change)}`;
  if (change < 0) return `−${formatSize(-change)}`;
  return '±0 B';
}

export const PACKAGE_CHANGES: { kind: PackageChangeKind; label: string; mark: string }[] = [
  { kind: 'upgraded', label: 'Upgraded', mark: '↑' },
  { kind: 'downgraded', label: 'Downgraded', mark: '↓' },
  { kind: 'changed', label: 'Changed', mark: '~' },
  { kind: 'added', label: 'Added', mark: '+' },
  { kind: 'removed', label: 'Removed', mark: '−' },
];

export const FILE_CHANGES: { kind: FileChangeKind; label: string; mark: string }[] = [
  { kind: 'added', label: 'Added', mark: 'A' },
  { kind: 'removed', label: 'Removed', mark: 'D' },
  { kind: 'modified', label: 'Modified', mark: 'M' },
];

export const packageMark = (kind: PackageChangeKind): string =>
  PACKAGE_CHANGES.find((c) => c.kind === kind)?.mark ?? '?';
export const fileMark = (kind: FileChangeKind): string => FILE_CHANGES.find((c) => c.kind === kind)?.mark ?? '?';

/** How many rows of each change kind. */
export function countBy<K extends string>(rows: { change: K }[]): Map<K, number> {
  const counts = new Map<K, number>();
  for (const row of rows) counts.set(row.change, (counts.get(row.change) ?? 0) + 1);
  return counts;
}

/** The rows whose change is one of `kinds` (all when empty) and whose text holds `needle`
 *  (case-insensitive). */
export function filterPackages(rows: PackageChangeRow[], kinds: PackageChangeKind[], needle: string): PackageChangeRow[] {
  const query = needle.trim().toLowerCase();
  return rows.filter(
    (row) =>
      (kinds.length === 0 || kinds.includes(row.change)) &&
      (query === '' || `${row.name} ${row.kind} ${row.from ?? ''} ${row.to ?? ''}`.toLowerCase().includes(query)),
  );
}

export function filterFiles(rows: FileChangeRow[], kinds: FileChangeKind[], needle: string): FileChangeRow[] {
  const query = needle.trim().toLowerCase();
  return rows.filter(
    (row) => (kinds.length === 0 || kinds.includes(row.change)) && (query === '' || row.path.toLowerCase().includes(query)),
  );
}

/** A file row's sizes: `12 kB → 14 kB`, `12 kB` for one side or the same size, `—` for
 *  none. */
export function fileSizes(row: FileChangeRow): string {
  const before = row.sizeBefore === null ? null : formatSize(row.sizeBefore);
  const after = row.sizeAfter === null ? null : formatSize(row.sizeAfter);
  if (before !== null && after !== null && row.sizeBefore !== null && row.sizeAfter !== null) {
    if (row.sizeBefore === row.sizeAfter) return after;
    // Rounded alike (1.47 kB both): the exact bytes show the change.
    if (before === after) return `${row.sizeBefore.toLocaleString('en')} B → ${row.sizeAfter.toLocaleString('en')} B`;
    return `${before} → ${after}`;
  }
  return after ?? before ?? '—';
}

/** The layers line: `3 → 4, the first 2 shared`. */
export function layersText(answer: CompareAnswer): string {
  const { base, target, sharedLayers } = answer;
  const shared =
    sharedLayers === 0
      ? 'no base layer shared'
      : sharedLayers === base.layers && sharedLayers === target.layers
        ? 'all shared'
        : `the first ${sharedLayers} shared`;
  return `${base.layers} → ${target.layers}, ${shared}`;
}

const CONFIG_FIELDS: Record<string, string> = {
  entrypoint: 'Entrypoint',
  cmd: 'Command',
  env: 'Environment',
  working_dir: 'Working directory',
  user: 'User',
  exposed_ports: 'Exposed port',
  volumes: 'Volume',
  labels: 'Label',
  stop_signal: 'Stop signal',
};

/** A run setting as the tab names it: `Environment PATH`, `Label maintainer`, `User`. */
export function configLabel(change: ConfigChangeRow): string {
  const field = CONFIG_FIELDS[change.field] ?? change.field;
  return change.key === null ? field : `${field} ${change.key}`;
}

/** One side of a run setting: its value, `(none)` where that image has none, and for a
 *  port or volume (whose key is its value) `present` / `(none)`. */
export function configValue(change: ConfigChangeRow, side: 'before' | 'after'): string {
  const value = change[side];
  if (value === null) return '(none)';
  if ((change.field === 'exposed_ports' || change.field === 'volumes') && value === change.key) return 'present';
  if (value === '') return '(empty)';
  return value;
}
