// What the Files tab's viewer reads and what it says about it.
import type { FileRow, FileView } from '../../tauri/ipc';
import { formatSize } from '../format';

/** The file the viewer shows: a path of the image, read as the final filesystem has it
 *  (`step` null) or as that build step left it. */
export type ViewTarget = { path: string; step: number | null };

/** Whether a row of the tree can be opened in the viewer: files, hard links and symlinks
 *  (followed inside the image; a link to a directory says so when opened). */
export function viewable(row: FileRow): boolean {
  return row.kind === 'file' || row.kind === 'hardlink' || row.kind === 'symlink';
}

/** What to read for `row`: in the whole image, the final file; among changes, the file as
 *  the step that changed it left it, and a removed file as the step before left it. */
export function viewTarget(row: FileRow): ViewTarget {
  if (row.change === null) return { path: row.path, step: null };
  if (row.change === 'removed') return { path: row.path, step: Math.max(0, row.layer - 1) };
  return { path: row.path, step: row.layer };
}

/** The line above the contents when they are not the whole file, or not text. */
export function viewerNotice(view: FileView): string | null {
  if (view.body.kind === 'empty') return 'The file is empty.';
  if (view.body.kind === 'binary') {
    const shown = Math.min(view.shown, 4096);
    if (shown >= view.size) return 'Binary file, shown as a hex dump.';
    return `Binary file: its first ${formatSize(shown)} of ${formatSize(view.size)} as a hex dump. Save it to look at all of it.`;
  }
  if (view.truncated) {
    return `Showing the first ${formatSize(view.shown)} of ${formatSize(view.size)}. Save the file to read all of it.`;
  }
  return null;
}
