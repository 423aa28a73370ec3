/** What the header's Export menu is doing or did, for ExportResult to show. */
export type ExportStatus =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'done'; path: string; what: string }
  | { kind: 'error'; message: string };
