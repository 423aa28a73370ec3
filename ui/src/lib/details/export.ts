/** An archive being saved (the image, or its filesystem): its id (to cancel it with
 *  `cancelArchive`) and its bytes written so far, out of the total when known. */
export interface ArchiveSave {
  id: string;
  done: number;
  total: number | null;
  /** What is saved, for the progress line: `the image archive` (the default), `the filesystem`. */
  what?: string;
}

/** What the header's Export menu is doing or did, for ExportResult to show. `busy` carries
 *  `archive` while an image archive is saved (an SBOM is written too quickly to follow). */
export type ExportStatus =
  | { kind: 'idle' }
  | { kind: 'busy'; archive?: ArchiveSave }
  | { kind: 'done'; path: string; what: string }
  | { kind: 'cancelled'; what: string }
  | { kind: 'error'; message: string };
