// Rows for the details page's component tests. Only for tests: nothing in the app imports this.
import type { FileRow } from '../../tauri/ipc';

/** A row of the Files tab: `kind` is `file`, `dir`, …; anything else comes from `overrides`. */
export function fileRow(path: string, kind = 'file', overrides: Partial<FileRow> = {}): FileRow {
  return {
    path,
    name: path.split('/').pop() ?? '/',
    kind,
    size: 10,
    linkTarget: null,
    mode: kind === 'dir' ? 'drwxr-xr-x' : kind === 'symlink' ? 'lrwxrwxrwx' : '-rw-r--r--',
    setId: false,
    uid: 0,
    gid: 0,
    layer: 0,
    change: null,
    hasChildren: kind === 'dir',
    waste: null,
    ...overrides,
  };
}
