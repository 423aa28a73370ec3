// What the Images table shows of the store's list: which rows (filter, dangling only) in
// which order (the sorted column). Pure functions, so that tests need no component.
import type { ImageRow } from '../../tauri/ipc';
import { displayName } from '../format';

export type SortKey = 'name' | 'tag' | 'id' | 'created' | 'size' | 'platform' | 'vulns';
export type SortDirection = 'ascending' | 'descending';
export type Sort = { key: SortKey; direction: SortDirection };

/** Newest first, as Docker Desktop opens the page. */
export const DEFAULT_SORT: Sort = { key: 'created', direction: 'descending' };

/** The direction a column sorts in at its first click: the big, the new and the most
 *  vulnerable first. */
export function firstDirection(key: SortKey): SortDirection {
  return key === 'created' || key === 'size' || key === 'vulns' ? 'descending' : 'ascending';
}

/** The sort after a click on `key`'s header: that column, or the same one reversed. */
export function toggleSort(sort: Sort, key: SortKey): Sort {
  if (sort.key !== key) return { key, direction: firstDirection(key) };
  return { key, direction: sort.direction === 'ascending' ? 'descending' : 'ascending' };
}

const time = (image: ImageRow) => (image.created ? Date.parse(image.created) || 0 : 0);
// Missing values (`<none>`, unknown) sort after every real one in ascending order.
const LAST = '\uffff';
const text = (value: string | null) => value ?? LAST;
const shown = (repository: string | null) => (repository === null ? LAST : displayName(repository));

/** The counts the Vulnerabilities column sorts by: critical, then high, medium, low and
 *  unrated; `null` when the image was never scanned. */
function severityKey(image: ImageRow): number[] | null {
  const c = image.vulns?.counts;
  return c ? [c.critical, c.high, c.medium, c.low, c.none + c.unknown] : null;
}

function compareVulns(a: ImageRow, b: ImageRow): number {
  const [x, y] = [severityKey(a), severityKey(b)];
  if (x === null || y === null) return 0; // placed by `sortImages`
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function compareBy(key: SortKey, a: ImageRow, b: ImageRow): number {
  switch (key) {
    case 'vulns':
      return compareVulns(a, b);
    case 'name':
      // As the column shows it: `nginx`, not `docker.io/library/nginx`.
      return shown(a.repository).localeCompare(shown(b.repository));
    case 'tag':
      return text(a.tag).localeCompare(text(b.tag), undefined, { numeric: true });
    case 'id':
      return a.id.localeCompare(b.id);
    case 'created':
      return time(a) - time(b);
    case 'size':
      return a.size - b.size;
    case 'platform':
      return text(a.platform).localeCompare(text(b.platform));
  }
}

/** The rows in `sort`'s order; ties fall back to newest first, then name and tag. */
export function sortImages(images: readonly ImageRow[], sort: Sort): ImageRow[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  // Images never scanned come after the scanned ones, whichever the direction.
  const unscanned = (image: ImageRow) => (sort.key === 'vulns' && !image.vulns ? 1 : 0);
  return [...images].sort(
    (a, b) =>
      unscanned(a) - unscanned(b) ||
      sign * compareBy(sort.key, a, b) ||
      time(b) - time(a) ||
      text(a.repository).localeCompare(text(b.repository)) ||
      (a.tag ?? '').localeCompare(b.tag ?? ''),
  );
}

/** `2 critical, 5 high, 0 medium, 1 low`: what the Vulnerabilities column says; `Not
 *  scanned` when no scan was kept. */
export function vulnsText(image: ImageRow): string {
  const c = image.vulns?.counts;
  if (!c) return 'Not scanned';
  const text = `${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low`;
  const unrated = c.none + c.unknown;
  return unrated > 0 ? `${text}, ${unrated} unrated` : text;
}

/** An image without a name: `docker images --filter dangling=true`. */
export const isDangling = (image: ImageRow) => image.reference === null;

/** The rows whose name, tag or image ID contains `query` (any case); with `danglingOnly`,
 *  only the unnamed ones. */
export function filterImages(images: readonly ImageRow[], query: string, danglingOnly: boolean): ImageRow[] {
  const needle = query.trim().toLowerCase();
  return images.filter((image) => {
    if (danglingOnly && !isDangling(image)) return false;
    if (needle === '') return true;
    return [image.reference, image.repository, image.tag, image.id].some(
      (field) => field !== null && field.toLowerCase().includes(needle),
    );
  });
}

/** Size on disk of the distinct images (one image under two tags counts once). */
export function totalSize(images: readonly ImageRow[]): number {
  const seen = new Map<string, number>();
  for (const image of images) seen.set(image.digest, image.size);
  let total = 0;
  for (const size of seen.values()) total += size;
  return total;
}

/** `12:04:05`, local time: when the list was last read. */
export function formatClock(at: Date): string {
  return [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
