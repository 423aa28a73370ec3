// The Vulnerabilities tab's logic, apart from its markup: severity names and order, findings
// grouped by package, and what the source and errors say. Pure functions over the IPC types.
import type {
  FindingRow,
  FixRow,
  IpcError,
  NewerImageRow,
  SeverityLevel,
  SeverityTally,
  VulnsAnswer,
} from '../../tauri/ipc';
import { formatDateTime } from '../format';

/** Most severe first; the compiler checks every level is here. */
const LEVELS = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  none: 'None',
  unknown: 'Unrated',
} as const satisfies Record<SeverityLevel, string>;

export const SEVERITY_ORDER = Object.keys(LEVELS) as SeverityLevel[];

export const severityLabel = (level: SeverityLevel): string => LEVELS[level];

const rank = (level: SeverityLevel): number => SEVERITY_ORDER.indexOf(level);

/** `Critical 9.8`: the level, with the CVSS base score when one is known. */
export function severityText(f: FindingRow): string {
  return f.cvssScore === null ? severityLabel(f.severity) : `${severityLabel(f.severity)} ${f.cvssScore.toFixed(1)}`;
}

/** Where the severity came from, for the badge's tooltip. */
export function severityTitle(f: FindingRow): string {
  const from =
    f.severitySource === 'rating'
      ? `Rated ${severityLabel(f.severity).toLowerCase()} by the advisory’s database or distribution`
      : f.severitySource === 'cvss'
        ? 'From the CVSS base score'
        : 'No rating is known';
  return f.cvssVector ? `${from}\n${f.cvssVector}` : from;
}

/** The findings of one installed package. */
export type PackageGroup = {
  key: string;
  package: string;
  version: string;
  kind: FindingRow['kind'];
  layer: number | null;
  /** The most severe of its findings. */
  worst: SeverityLevel;
  /** Most severe first (then by CVSS score, then id). */
  findings: FindingRow[];
};

function byFinding(a: FindingRow, b: FindingRow): number {
  return (
    rank(a.severity) - rank(b.severity) ||
    (b.cvssScore ?? -1) - (a.cvssScore ?? -1) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * `findings` of the severities in `keep` (all when empty), grouped by installed package;
 * the groups ordered by their most severe finding, then by how many findings of that
 * severity they have, then by name.
 */
export function groupFindings(findings: FindingRow[], keep: SeverityLevel[] = []): PackageGroup[] {
  const groups = new Map<string, PackageGroup>();
  for (const f of findings) {
    if (keep.length > 0 && !keep.includes(f.severity)) continue;
    const key = `${f.kind}\n${f.package}\n${f.version}`;
    let group = groups.get(key);
    if (!group) {
      group = { key, package: f.package, version: f.version, kind: f.kind, layer: f.layer, worst: f.severity, findings: [] };
      groups.set(key, group);
    }
    group.findings.push(f);
    if (rank(f.severity) < rank(group.worst)) group.worst = f.severity;
    if (f.layer !== null && (group.layer === null || f.layer < group.layer)) group.layer = f.layer;
  }
  const list = [...groups.values()];
  for (const g of list) g.findings.sort(byFinding);
  const ofWorst = (g: PackageGroup) => g.findings.filter((f) => f.severity === g.worst).length;
  return list.sort(
    (a, b) =>
      rank(a.worst) - rank(b.worst) ||
      ofWorst(b) - ofWorst(a) ||
      (a.package < b.package ? -1 : a.package > b.package ? 1 : 0) ||
      (a.version < b.version ? -1 : a.version > b.version ? 1 : 0),
  );
}

/** The CVE ids among an advisory's aliases (the engine puts them first). */
export const cveAliases = (f: FindingRow): string[] => f.aliases.filter((a) => a.startsWith('CVE-'));

/** `1 critical, 2 high, 1 medium`: the non-zero counts, most severe first. */
export function tallyText(t: SeverityTally): string {
  const parts = SEVERITY_ORDER.filter((l) => t[l] > 0).map((l) => `${t[l]} ${severityLabel(l).toLowerCase()}`);
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

/** What a recommended fix clears, for a person. */
export function fixClears(fix: FixRow): string {
  const n = fix.clears.total;
  const what = `${n} ${n === 1 ? 'advisory' : 'advisories'} (${tallyText(fix.clears)})`;
  return fix.remaining > 0 ? `${what}; ${fix.remaining} would remain` : what;
}

/** How a newer image's critical and high findings compare: `3 fewer critical/high findings`. */
export function changeText(change: number): string {
  if (change < 0) return `${-change} fewer critical/high ${-change === 1 ? 'finding' : 'findings'}`;
  if (change > 0) return `${change} more critical/high ${change === 1 ? 'finding' : 'findings'}`;
  return 'as many critical/high findings';
}

/** "A newer image of this repository, docker.io/library/x:1.2 (created …), has 3 fewer
 *  critical/high findings." */
export function newerAdvice(newer: NewerImageRow): string {
  const name = newer.reference ?? `the untagged image ${newer.digest.replace(/^sha256:/, '').slice(0, 12)}`;
  const created = formatDateTime(newer.created);
  return `A newer image of this repository, ${name}${created ? ` (created ${created})` : ''}, has ${changeText(newer.criticalHighChange)}.`;
}

/** "Checked against the offline database, updated …" or "… the OSV API at …". */
export function sourceLine(answer: VulnsAnswer): string {
  const s = answer.source;
  if (s.kind === 'offline') {
    const when = formatDateTime(s.importedAt);
    return when ? `Checked against the offline database, updated ${when}` : 'Checked against the offline database';
  }
  return `Checked against the OSV API at ${s.url ?? 'its default address'}`;
}

/** The first line of an error state, by the kind of failure. */
export function errorHeadline(error: IpcError): string {
  switch (error.code) {
    case 'network':
      return 'OSV could not be reached — import the offline database in Settings, or retry.';
    case 'rateLimited':
      return 'OSV is limiting requests — wait a moment and retry, or import the offline database in Settings.';
    case 'notFound':
      return 'The advisories could not be found — update the offline database in Settings, or retry.';
    case 'cancelled':
      return 'The check was cancelled.';
    default:
      return 'The packages could not be checked for vulnerabilities.';
  }
}

/** The Vulnerabilities tab's data as the details page fetches it. */
export type VulnsState =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; error: IpcError }
  | { kind: 'ready'; answer: VulnsAnswer };
