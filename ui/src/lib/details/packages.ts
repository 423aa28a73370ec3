// The Packages tab's logic, apart from its markup: type names, the text filter, the sort
// orders and how an OS is named. Pure functions over the IPC types.
import type { IpcError, OsRow, PackageKind, PackageRow, PackagesAnswer } from '../../tauri/ipc';

/** Every type, in the engine's order (OS packages first); the compiler checks it is complete. */
const KINDS = {
  deb: { label: 'deb', title: 'Debian packages (dpkg)' },
  apk: { label: 'apk', title: 'Alpine packages (apk)' },
  rpm: { label: 'rpm', title: 'RPM packages' },
  python: { label: 'Python', title: 'Python packages' },
  npm: { label: 'npm', title: 'Node.js packages (npm)' },
  go: { label: 'Go', title: 'Go modules in Go binaries' },
  cargo: { label: 'Rust', title: 'Rust crates in binaries built with cargo-auditable' },
  maven: { label: 'Java', title: 'Java archives (Maven)' },
  gem: { label: 'Ruby', title: 'Ruby gems' },
  composer: { label: 'PHP', title: 'PHP packages (Composer)' },
} as const satisfies Record<PackageKind, { label: string; title: string }>;

export const KIND_ORDER = Object.keys(KINDS) as PackageKind[];

export const kindLabel = (kind: PackageKind): string => KINDS[kind].label;
export const kindTitle = (kind: PackageKind): string => KINDS[kind].title;

/** Lower-cased text the filter looks in: name, purl and licences. */
export function haystack(p: PackageRow): string {
  return `${p.name}\n${p.purl}\n${p.licenses.join('\n')}`.toLowerCase();
}

export type SortKey = 'name' | 'type' | 'step';

/**
 * The indexes of `packages` in the order `key` (`dir` 1 ascending, -1 descending) gives:
 * by name (then version, type, location), by type (the engine's order, then name) or by
 * step (unknown steps last, then type and name). Names compare case-insensitively by code
 * point, as the engine sorts them. The keys are computed once per package: comparing through
 * `Intl.Collator` or `localeCompare` is slow in WebKit's JavaScript engine, and a sort of
 * 5,000 rows makes some 60,000 comparisons.
 */
export function sortedIndexes(packages: PackageRow[], key: SortKey, dir: 1 | -1): number[] {
  const names = packages.map((p) => p.name.toLowerCase());
  const kinds = packages.map((p) => KIND_ORDER.indexOf(p.kind));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const byName = (i: number, j: number) =>
    cmp(names[i]!, names[j]!) ||
    cmp(packages[i]!.version, packages[j]!.version) ||
    kinds[i]! - kinds[j]! ||
    cmp(packages[i]!.location, packages[j]!.location);
  const byType = (i: number, j: number) => kinds[i]! - kinds[j]! || byName(i, j);
  // Packages whose step is unknown go last.
  const steps = packages.map((p) => p.layer ?? Number.MAX_SAFE_INTEGER);
  const byStep = (i: number, j: number) => steps[i]! - steps[j]! || byType(i, j);
  const order = key === 'name' ? byName : key === 'type' ? byType : byStep;
  return packages.map((_, i) => i).sort((i, j) => dir * order(i, j) || i - j);
}

/** What the header and the tab call the OS: `PRETTY_NAME`, else `NAME VERSION_ID`, else `ID`. */
export function osName(os: OsRow): string {
  if (os.prettyName) return os.prettyName;
  if (os.name) return os.versionId ? `${os.name} ${os.versionId}` : os.name;
  return os.versionId ? `${os.id} ${os.versionId}` : os.id;
}

/** The source package, when it says more than the name and version already do. */
export function sourceOf(p: PackageRow): string | null {
  if (p.sourceName === null) return null;
  const otherVersion = p.sourceVersion !== null && p.sourceVersion !== p.version;
  if (p.sourceName === p.name && !otherVersion) return null;
  return otherVersion ? `${p.sourceName} ${p.sourceVersion}` : p.sourceName;
}

export const plural = (n: number, one: string, many: string): string =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** The Packages tab's data as the details page fetches it. */
export type PackagesState =
  | { kind: 'loading' }
  | { kind: 'error'; error: IpcError }
  | { kind: 'ready'; answer: PackagesAnswer };
