// The Files tab's tree, flattened into rows for a virtual list. Directories are fetched a
// page at a time (a directory of 100,000 files costs only the pages scrolled into view), and
// the open directories' pages are laid out as a list of segments: finding the row at any
// position is a binary search over the segments, not a walk over every row.

import { IpcError, type FileMark, type FilePage, type FileRow, type LayerRow } from '../../tauri/ipc';
import { formatSize } from '../format';

/** Entries fetched per request. */
export const PAGE = 200;

/** Fetches `limit` entries from position `offset` of directory `dir`. */
export type PageLoader = (dir: string, offset: number, limit: number) => Promise<FilePage>;

type Dir = {
  /** How many entries it has; `null` until the first page arrives. */
  total: number | null;
  pages: Map<number, FileRow[]>;
  pending: Set<number>;
  error: IpcError | null;
};

/** A row of the flattened tree. */
export type FlatRow =
  | {
      kind: 'entry';
      /** The directory it is in, and its position there. */
      dir: string;
      index: number;
      depth: number;
      /** How many entries its directory has (for aria-setsize). */
      siblings: number;
      /** `null` while its page is being fetched. */
      row: FileRow | null;
    }
  | { kind: 'loading' | 'empty'; dir: string; depth: number }
  | { kind: 'error'; dir: string; depth: number; error: IpcError };

type Segment =
  | { kind: 'rows'; start: number; dir: string; depth: number; from: number; to: number; siblings: number }
  | { kind: 'loading' | 'empty'; start: number; dir: string; depth: number }
  | { kind: 'error'; start: number; dir: string; depth: number; error: IpcError };

export const ROOT = '/';

/** An expandable tree over paged directory listings. Not reactive itself: `onChange` is called
 *  whenever its rows change. */
export class FileTreeModel {
  private readonly dirs = new Map<string, Dir>();
  /** Open directories: parent directory → (position in it → path). */
  private readonly opened = new Map<string, Map<number, string>>();
  /** Open directory → where it is in its parent. */
  private readonly place = new Map<string, { parent: string; index: number }>();
  private segments: Segment[] = [];
  private closed = false;
  /** How many rows the flattened tree has. */
  count = 0;

  constructor(
    private readonly load: PageLoader,
    private readonly onChange: () => void,
  ) {
    this.layout();
  }

  /** Fetches the root's first page. */
  start(): void {
    this.fetch(ROOT, 0);
  }

  /** Stops reporting: answers that arrive later are dropped. */
  close(): void {
    this.closed = true;
  }

  isOpen(path: string): boolean {
    return this.place.has(path);
  }

  /** Opens or closes the directory at position `index` of `dir`. */
  toggle(dir: string, index: number, path: string): void {
    if (this.place.has(path)) {
      this.place.delete(path);
      this.opened.get(dir)?.delete(index);
    } else {
      this.place.set(path, { parent: dir, index });
      let open = this.opened.get(dir);
      if (!open) this.opened.set(dir, (open = new Map()));
      open.set(index, path);
      const known = this.dirs.get(path);
      if (known?.error) known.error = null;
      this.fetch(path, 0);
    }
    this.layout();
    this.onChange();
  }

  /** Asks again for a directory whose listing failed. */
  retry(dir: string): void {
    const d = this.dirs.get(dir);
    if (d) d.error = null;
    this.fetch(dir, 0);
    this.layout();
    this.onChange();
  }

  /** The row at flat position `i` (`0 <= i < count`). */
  rowAt(i: number): FlatRow {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.start <= i) lo = mid;
      else hi = mid - 1;
    }
    const s = this.segments[lo]!;
    if (s.kind !== 'rows') return s.kind === 'error' ? { ...s } : { kind: s.kind, dir: s.dir, depth: s.depth };
    const index = s.from + (i - s.start);
    const page = this.dirs.get(s.dir)?.pages.get(Math.floor(index / PAGE));
    return {
      kind: 'entry',
      dir: s.dir,
      index,
      depth: s.depth,
      siblings: s.siblings,
      row: page?.[index % PAGE] ?? null,
    };
  }

  /** The flat position of the entry at `index` of directory `dir`, if it is shown. */
  positionOf(dir: string, index: number): number | null {
    for (const s of this.segments) {
      if (s.kind === 'rows' && s.dir === dir && s.from <= index && index < s.to) return s.start + index - s.from;
    }
    return null;
  }

  /** The flat position of directory `path`'s own row (where Left goes from inside it). */
  parentRow(path: string): number | null {
    const at = this.place.get(path);
    return at ? this.positionOf(at.parent, at.index) : null;
  }

  /** Fetches the pages that rows `[first, last)` need. */
  want(first: number, last: number): void {
    for (let i = first; i < Math.min(last, this.count); i++) {
      const r = this.rowAt(i);
      if (r.kind === 'entry' && r.row === null) {
        this.fetch(r.dir, Math.floor(r.index / PAGE));
        // The rest of this page is asked for too: skip to its end.
        i += PAGE - 1 - (r.index % PAGE);
      }
    }
  }

  private fetch(dir: string, page: number): void {
    let d = this.dirs.get(dir);
    if (!d) this.dirs.set(dir, (d = { total: null, pages: new Map(), pending: new Set(), error: null }));
    // A failed directory waits for `retry`: scrolling must not ask again and again.
    if (d.pages.has(page) || d.pending.has(page) || d.error) return;
    d.pending.add(page);
    const known = d;
    this.load(dir, page * PAGE, PAGE).then(
      (answer) => {
        if (this.closed) return;
        known.pending.delete(page);
        known.pages.set(page, answer.rows);
        known.total = answer.total;
        this.layout();
        this.onChange();
      },
      (raw: unknown) => {
        if (this.closed) return;
        known.pending.delete(page);
        known.error = IpcError.from(raw, 'image_files');
        this.layout();
        this.onChange();
      },
    );
  }

  private layout(): void {
    const out: Segment[] = [];
    this.count = this.lay(ROOT, 0, out, 0);
    this.segments = out;
  }

  private lay(dir: string, depth: number, out: Segment[], start: number): number {
    const d = this.dirs.get(dir);
    if (d?.error) {
      out.push({ kind: 'error', start, dir, depth, error: d.error });
      return start + 1;
    }
    if (!d || d.total === null) {
      out.push({ kind: 'loading', start, dir, depth });
      return start + 1;
    }
    if (d.total === 0) {
      out.push({ kind: 'empty', start, dir, depth });
      return start + 1;
    }
    const total = d.total;
    const open = [...(this.opened.get(dir) ?? new Map<number, string>())]
      .filter(([index]) => index < total)
      .sort((a, b) => a[0] - b[0]);
    let at = start;
    let from = 0;
    const rows = (to: number) => {
      if (to > from) out.push({ kind: 'rows', start: at, dir, depth, from, to, siblings: total });
      at += to - from;
      from = to;
    };
    for (const [index, path] of open) {
      rows(index + 1);
      at = this.lay(path, depth + 1, out, at);
    }
    rows(total);
    return at;
  }
}

/** Whether a row can be opened. */
export const expandable = (row: FileRow): boolean => row.hasChildren;

export function markLetter(mark: FileMark): string {
  return mark === 'added' ? 'A' : mark === 'modified' ? 'M' : 'D';
}

function stepName(steps: readonly LayerRow[], index: number): string {
  const command = steps.find((s) => s.index === index)?.command;
  return command ? `step ${index + 1} (${command})` : `step ${index + 1}`;
}

/** `Added by step 3 (RUN apk add curl)`. */
export function markTitle(row: FileRow, steps: readonly LayerRow[]): string {
  const how = row.change === 'added' ? 'Added' : row.change === 'modified' ? 'Modified' : 'Removed';
  return `${how} by ${stepName(steps, row.layer)}`;
}

/** What the waste highlight says: how many bytes, and which later step made them invisible. */
export function wasteText(row: FileRow, steps: readonly LayerRow[]): string {
  const w = row.waste;
  if (!w) return '';
  const how = w.how === 'removed' ? 'removed' : 'overwritten';
  const what = row.change === null ? 'of earlier versions ' : '';
  return `${formatSize(w.bytes)} ${what}wasted: ${how} by ${stepName(steps, w.byStep)}`;
}

/** A flat row for the search results: every match at depth 0. */
export function foundRow(row: FileRow, index: number, total: number): FlatRow {
  return { kind: 'entry', dir: '', index, depth: 0, siblings: total, row };
}
