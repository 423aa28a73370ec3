/** An image archive being saved: its id (to cancel it with `cancelArchive`) and its bytes
 *  written so far, out of the image's size when known. */
export interface ArchiveSave {
  id: string;
  done: number;
  total: number | null;
}

/** What the header's Export menu is doing or did, for ExportResult to show. `busy` carries
 *  `archive` while an image archive is saved (an SBOM is written too quickly to follow). */
export type ExportStatus =
  | { kind: 'idle' }
  | { kind: 'busy'; archive?: ArchiveSave }
  | { kind: 'done'; path: string; what: string }
  | { kind: 'cancelled'; what: string }
  | { kind: 'error'; message: string };
