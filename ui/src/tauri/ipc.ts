// The one module through which the UI talks to the Rust side. Nothing outside src/tauri/
// may import `@tauri-apps/*` (a test enforces it): components call the typed functions
// here, and every failure arrives as an `IpcError` with a `code` to branch on.
import { Channel, invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import { load, type Store } from '@tauri-apps/plugin-store';

import type { ArchiveProgress } from './bindings/ArchiveProgress';
import type { CompareAnswer } from './bindings/CompareAnswer';
import type { CompareSide } from './bindings/CompareSide';
import type { ConfigChangeRow } from './bindings/ConfigChangeRow';
import type { EcosystemRow } from './bindings/EcosystemRow';
import type { FileChangeKind } from './bindings/FileChangeKind';
import type { FileChangeRow } from './bindings/FileChangeRow';
import type { PackageChangeKind } from './bindings/PackageChangeKind';
import type { PackageChangeRow } from './bindings/PackageChangeRow';
import type { DiffLine } from './bindings/DiffLine';
import type { DiffLineKind } from './bindings/DiffLineKind';
import type { FileBody } from './bindings/FileBody';
import type { FileDiffBody } from './bindings/FileDiffBody';
import type { FileDiffView } from './bindings/FileDiffView';
import type { FileVersionRow } from './bindings/FileVersionRow';
import type { FileMark } from './bindings/FileMark';
import type { FilePage } from './bindings/FilePage';
import type { FileRow } from './bindings/FileRow';
import type { FileView } from './bindings/FileView';
import type { FileWaste } from './bindings/FileWaste';
import type { FindingRow } from './bindings/FindingRow';
import type { FixRow } from './bindings/FixRow';
import type { HubBadge } from './bindings/HubBadge';
import type { HubResult } from './bindings/HubResult';
import type { HubTag } from './bindings/HubTag';
import type { ImageDetails } from './bindings/ImageDetails';
import type { ImageRow } from './bindings/ImageRow';
import type { IpcError as IpcErrorDto } from './bindings/IpcError';
import type { IpcErrorCode } from './bindings/IpcErrorCode';
import type { Label } from './bindings/Label';
import type { LayerRow } from './bindings/LayerRow';
import type { OsRow } from './bindings/OsRow';
import type { PackageKind } from './bindings/PackageKind';
import type { PackageRow } from './bindings/PackageRow';
import type { PackagesAnswer } from './bindings/PackagesAnswer';
import type { PulledImage } from './bindings/PulledImage';
import type { PullLayer } from './bindings/PullLayer';
import type { PullProgress } from './bindings/PullProgress';
import type { PushBlob } from './bindings/PushBlob';
import type { PushDestination } from './bindings/PushDestination';
import type { PushedImage } from './bindings/PushedImage';
import type { PushProgress } from './bindings/PushProgress';
import type { RegistryEntry } from './bindings/RegistryEntry';
import type { RemoveAnswer } from './bindings/RemoveAnswer';
import type { StoreUsage } from './bindings/StoreUsage';
import type { RemoveFailure } from './bindings/RemoveFailure';
import type { RegistryMatches } from './bindings/RegistryMatches';
import type { ResolvedAnswer } from './bindings/ResolvedAnswer';
import type { ImageArchive } from './bindings/ImageArchive';
import type { LoadAnswer } from './bindings/LoadAnswer';
import type { SavedFile } from './bindings/SavedFile';
import type { SbomExport } from './bindings/SbomExport';
import type { SbomKind } from './bindings/SbomKind';
import type { ScanMode } from './bindings/ScanMode';
import type { Settings } from './bindings/Settings';
import type { SettingsAnswer } from './bindings/SettingsAnswer';
import type { SignInAnswer } from './bindings/SignInAnswer';
import type { SignInStatus } from './bindings/SignInStatus';
import type { StoreAnswer } from './bindings/StoreAnswer';
import type { StoreOrigin } from './bindings/StoreOrigin';
import type { SeverityLevel } from './bindings/SeverityLevel';
import type { SeverityTally } from './bindings/SeverityTally';
import type { UncoveredRow } from './bindings/UncoveredRow';
import type { VulnDbProgress } from './bindings/VulnDbProgress';
import type { VulnDbStatus } from './bindings/VulnDbStatus';
import type { VulnSource } from './bindings/VulnSource';
import type { VulnSummary } from './bindings/VulnSummary';
import type { VulnCounts } from './bindings/VulnCounts';
import type { NewerImageRow } from './bindings/NewerImageRow';
import type { VulnCompareAnswer } from './bindings/VulnCompareAnswer';
import type { VulnsAnswer } from './bindings/VulnsAnswer';
import type { RunConfig } from './bindings/RunConfig';
import type { SearchAnswer } from './bindings/SearchAnswer';
import type { TagPlatform } from './bindings/TagPlatform';
import type { TagsAnswer } from './bindings/TagsAnswer';
import type { TypeCount } from './bindings/TypeCount';

export type {
  ArchiveProgress,
  CompareAnswer,
  CompareSide,
  ConfigChangeRow,
  DiffLine,
  DiffLineKind,
  EcosystemRow,
  FileBody,
  FileChangeKind,
  FileChangeRow,
  FileDiffBody,
  FileDiffView,
  FileMark,
  FilePage,
  FileRow,
  FileVersionRow,
  FileView,
  FileWaste,
  FindingRow,
  FixRow,
  HubBadge,
  HubResult,
  HubTag,
  ImageArchive,
  ImageDetails,
  ImageRow,
  IpcErrorCode,
  Label,
  LayerRow,
  LoadAnswer,
  NewerImageRow,
  OsRow,
  PackageChangeKind,
  PackageChangeRow,
  PackageKind,
  PackageRow,
  PackagesAnswer,
  PullLayer,
  PullProgress,
  PulledImage,
  PushBlob,
  PushDestination,
  PushedImage,
  PushProgress,
  RegistryEntry,
  RegistryMatches,
  RemoveAnswer,
  RemoveFailure,
  ResolvedAnswer,
  RunConfig,
  SavedFile,
  SbomExport,
  SbomKind,
  ScanMode,
  SearchAnswer,
  Settings,
  SettingsAnswer,
  SeverityLevel,
  SeverityTally,
  SignInAnswer,
  SignInStatus,
  StoreAnswer,
  StoreOrigin,
  StoreUsage,
  TagPlatform,
  TagsAnswer,
  TypeCount,
  UncoveredRow,
  VulnCompareAnswer,
  VulnCounts,
  VulnDbProgress,
  VulnDbStatus,
  VulnSource,
  VulnSummary,
  VulnsAnswer,
};

// Listing every code makes TypeScript fail here when Rust adds one (the bindings change).
const CODES = {
  network: true,
  auth: true,
  notFound: true,
  rateLimited: true,
  digestMismatch: true,
  cancelled: true,
  invalidInput: true,
  internal: true,
} as const satisfies Record<IpcErrorCode, true>;

function isIpcErrorCode(value: unknown): value is IpcErrorCode {
  return typeof value === 'string' && Object.hasOwn(CODES, value);
}

function isIpcErrorDto(value: unknown): value is IpcErrorDto {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return isIpcErrorCode(code) && typeof message === 'string';
}

/** A failed command: `code` says what kind of failure, `message` is for people. */
export class IpcError extends Error {
  readonly code: IpcErrorCode;

  constructor(code: IpcErrorCode, message: string) {
    super(message);
    this.name = 'IpcError';
    this.code = code;
  }

  /** Whatever a command rejected with, as an `IpcError`. */
  static from(raw: unknown, command: string): IpcError {
    if (raw instanceof IpcError) return raw;
    if (isIpcErrorDto(raw)) return new IpcError(raw.code, raw.message);
    // Tauri itself rejects with a string when, say, a command is not allowed or not found.
    const detail = typeof raw === 'string' ? raw : raw instanceof Error ? raw.message : String(raw);
    return new IpcError('internal', `The app could not run “${command}”: ${detail}`);
  }
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw IpcError.from(raw, command);
  }
}

/** Tells the shell the first page is painted and usable (it times start-up with it).
 *  Never fails: a shell that cannot hear it changes nothing for the user. */
export function reportReady(): Promise<void> {
  const marks = performance
    .getEntriesByType('mark')
    .filter((mark) => mark.name.startsWith('porthole:'))
    .map((mark) => [mark.name, mark.startTime]);
  return call<void>('ui_ready', {
    pageMs: performance.now(),
    timeOrigin: performance.timeOrigin,
    marks,
  }).catch(() => undefined);
}

/** The first listing, asked for by `prefetchImages` before the page is mounted. */
let prefetched: Promise<ImageRow[]> | null = null;

/** Starts listing the store now (main.ts, before the theme and the mount), so that the
 *  Images page's first `listImages` finds the answer on its way. */
export function prefetchImages(): void {
  prefetched ??= call<ImageRow[]>('list_images');
  // Whoever takes it handles a failure; an untaken one must not be reported as unhandled.
  prefetched.catch(() => undefined);
}

/** Every image in the local store (the prefetched answer the first time, if there is one). */
export function listImages(): Promise<ImageRow[]> {
  const early = prefetched;
  prefetched = null;
  return early ?? call<ImageRow[]>('list_images');
}

/** What garbage collection would free now (blobs no image uses). */
export function storeUsage(): Promise<StoreUsage> {
  return call<StoreUsage>('store_usage');
}

/** Removes the images with these manifest digests (every tag of each) from the store.
 *  Rejects only when the request is wrong; images that could not go are in `failed`. */
export function removeImages(digests: string[]): Promise<RemoveAnswer> {
  return call<RemoveAnswer>('remove_images', { digests });
}

/**
 * Docker Hub's results for `text`, or `typedReference` when the text is a full reference.
 * The configured registries (`answer.registries`) are searched alongside: each one's
 * matches, or a notice, reach `onRegistry` when it answers (before or after this resolves).
 * A newer search cancels this one, its registry searches included.
 */
export function searchHub(
  text: string,
  badges: HubBadge[] = [],
  onRegistry: (matches: RegistryMatches) => void = () => {},
): Promise<SearchAnswer> {
  const channel = new Channel<RegistryMatches>(onRegistry);
  return call<SearchAnswer>('search_hub', { text, badges, onRegistry: channel });
}

/** The tags of `repository` (`team/app`) on a configured registry (`registry.lan:5000`), by name. */
export function registryTags(registry: string, repository: string): Promise<TagsAnswer> {
  return call<TagsAnswer>('registry_tags', { registry, repository });
}

/** What a full reference names on its registry: its platforms and their compressed sizes. */
export function resolveReference(reference: string): Promise<ResolvedAnswer> {
  return call<ResolvedAnswer>('resolve_reference', { reference });
}

/** The tags of a Docker Hub repository (`nginx`, `library/nginx`, `bitnami/redis`). */
export function hubTags(repository: string): Promise<TagsAnswer> {
  return call<TagsAnswer>('hub_tags', { repository });
}

/**
 * Pulls `reference` into the store; `onEvent` receives its progress as it happens.
 * `pullId` names the pull for `cancelPull`.
 */
export function pullImage(
  pullId: string,
  reference: string,
  platform: string | null,
  onEvent: (event: PullProgress) => void,
): Promise<PulledImage> {
  const channel = new Channel<PullProgress>(onEvent);
  return call<PulledImage>('pull_image', { pullId, reference, platform, onEvent: channel });
}

/** Cancels a running pull; the pull then rejects with code `cancelled`. */
export function cancelPull(pullId: string): Promise<void> {
  return call<void>('cancel_pull', { pullId });
}

/** `reference` as a push would use it, normalised as Docker does (`app` →
 *  `docker.io/library/app:latest`); rejects with `invalidInput` (and the reason) for a
 *  malformed reference or a digest. */
export function pushDestination(reference: string): Promise<PushDestination> {
  return call<PushDestination>('push_destination', { reference });
}

/**
 * Pushes the image whose manifest digest is `digest` (chosen under the name `source`) to
 * `destination`; `onEvent` receives its progress. `pushId` names the push for `cancelPush`.
 */
export function pushImage(
  pushId: string,
  digest: string,
  source: string | null,
  destination: string,
  onEvent: (event: PushProgress) => void,
): Promise<PushedImage> {
  const channel = new Channel<PushProgress>(onEvent);
  return call<PushedImage>('push_image', { pushId, digest, source, destination, onEvent: channel });
}

/** Cancels a running push; it then rejects with code `cancelled` (no tag is written). */
export function cancelPush(pushId: string): Promise<void> {
  return call<void>('cancel_push', { pushId });
}

/** Build steps and run config of the image whose manifest digest is `digest`. */
export function imageDetails(digest: string): Promise<ImageDetails> {
  return call<ImageDetails>('image_details', { digest });
}

/** Up to `limit` entries from position `offset` of those directly inside directory `path`:
 *  of the image's final filesystem when `steps` is empty, otherwise of what those build
 *  steps (`LayerRow.index`) changed, with the directories that lead to their changes. */
export function imageFiles(digest: string, path: string, steps: number[], offset: number, limit: number): Promise<FilePage> {
  return call<FilePage>('image_files', { digest, path, steps, offset, limit });
}

/** Paths whose name contains `needle` (at most 500): of the whole image when `steps` is
 *  empty, otherwise among what those build steps changed. */
export function searchImageFiles(digest: string, needle: string, steps: number[] = []): Promise<FileRow[]> {
  return call<FileRow[]>('search_image_files', { digest, needle, steps });
}

/** The first 256 KiB of the file at `path` (symlinks followed inside the image) of the image
 *  whose manifest digest is `digest`: as its final filesystem has it, or as build step `step`
 *  left it. Text, or a hex dump of the first 4 KiB of a binary file. */
export function readImageFile(digest: string, path: string, step: number | null = null): Promise<FileView> {
  return call<FileView>('read_image_file', { digest, path, step });
}

/** Saves that whole file to `target`, else to the Downloads directory (named
 *  `<repository>-<tag>.<file name>`); answers with the file written. */
export function saveImageFile(
  digest: string,
  path: string,
  step: number | null = null,
  target: string | null = null,
): Promise<SavedFile> {
  return call<SavedFile>('save_image_file', { digest, path, step, target });
}

/** The OS and packages of the image whose manifest digest is `digest`, each package with
 *  the build step (`LayerRow.index`) that introduced it. */
export function imagePackages(digest: string): Promise<PackagesAnswer> {
  return call<PackagesAnswer>('image_packages', { digest });
}

/** What changed from the image `base` to the image `target` (manifest digests): packages,
 *  files and shared layers, as `porthole diff` shows them. */
export function compareImages(base: string, target: string): Promise<CompareAnswer> {
  return call<CompareAnswer>('compare_images', { base, target });
}

/** The file at `path` in both images (`porthole diff --file`): a unified diff when both
 *  versions are text, else whether their bytes differ. */
export function compareFile(base: string, target: string, path: string): Promise<FileDiffView> {
  return call<FileDiffView>('compare_file', { base, target, path });
}

/** Scans both images (as `imageVulnerabilities` scans one) and compares their findings: the
 *  advisories `target` fixes and those it brings. `scanId` names the run for
 *  `cancelVulnerabilities`. */
export function compareVulnerabilities(
  scanId: string,
  base: string,
  target: string,
  mode: ScanMode = 'auto',
): Promise<VulnCompareAnswer> {
  return call<VulnCompareAnswer>('compare_vulnerabilities', { scanId, base, target, mode });
}

/** Checks the image's packages against OSV advisories (`auto`: the offline database when
 *  one was imported, else the OSV API). `scanId` names the scan for `cancelVulnerabilities`. */
export function imageVulnerabilities(scanId: string, digest: string, mode: ScanMode = 'auto'): Promise<VulnsAnswer> {
  return call<VulnsAnswer>('image_vulnerabilities', { scanId, digest, mode });
}

/** Counts the vulnerabilities of these images (manifest digests) that were never scanned,
 *  with offline scans in the background, when the offline database has been imported;
 *  `onCounts` receives each image's counts as they are found. `scanId` names the run for
 *  `cancelVulnerabilities`. Resolves with how many images were scanned. */
export function fillVulnerabilityCounts(
  scanId: string,
  digests: string[],
  onCounts: (counts: VulnCounts) => void,
): Promise<number> {
  const channel = new Channel<VulnCounts>(onCounts);
  return call<number>('fill_vulnerability_counts', { scanId, digests, onCounts: channel });
}

/** Cancels a running scan; it then rejects with code `cancelled`. */
export function cancelVulnerabilities(scanId: string): Promise<void> {
  return call<void>('cancel_vulnerabilities', { scanId });
}

/** Writes an SBOM of the image to `path`, else to the Downloads directory; answers with
 *  the file written. */
export function exportSbom(digest: string, format: SbomKind, path: string | null = null): Promise<SbomExport> {
  return call<SbomExport>('export_sbom', { digest, format, path });
}

/** Writes the image as a .tar archive to `path`, else to the Downloads directory; answers
 *  with the file written. Its bytes written so far come to `onProgress` (at most ten times a
 *  second); `archiveId` names the save for `cancelArchive`, and a cancelled save rejects with
 *  code `cancelled` and leaves no file. */
export function saveImage(
  archiveId: string,
  digest: string,
  onProgress: (progress: ArchiveProgress) => void,
  path: string | null = null,
): Promise<ImageArchive> {
  const channel = new Channel<ArchiveProgress>(onProgress);
  return call<ImageArchive>('save_image', { archiveId, digest, path, onProgress: channel });
}

/** Writes the image's final filesystem as one tar (what `porthole export` writes) to `path`,
 *  else to the Downloads directory as `<repository>-<tag>.rootfs.tar`; answers with the file
 *  written. Its bytes written so far come to `onProgress`; `archiveId` names the export for
 *  `cancelArchive`, and a cancelled export rejects with code `cancelled` and leaves no file. */
export function exportFilesystem(
  archiveId: string,
  digest: string,
  onProgress: (progress: ArchiveProgress) => void,
  path: string | null = null,
): Promise<ImageArchive> {
  const channel = new Channel<ArchiveProgress>(onProgress);
  return call<ImageArchive>('export_filesystem', { archiveId, digest, path, onProgress: channel });
}

/** Adds the images of the archive at `path` (absolute) to the store, as `porthole load`. The
 *  bytes of the file read so far come to `onProgress`; `archiveId` names the load for
 *  `cancelArchive`, and a cancelled load rejects with code `cancelled` and names no image. */
export function loadImageArchive(
  archiveId: string,
  path: string,
  onProgress: (progress: ArchiveProgress) => void,
): Promise<LoadAnswer> {
  const channel = new Channel<ArchiveProgress>(onProgress);
  return call<LoadAnswer>('load_image_archive', { archiveId, path, onProgress: channel });
}

/** Cancels a running save or load of an image archive; it then rejects with code
 *  `cancelled`. One that already ended is left alone. */
export function cancelArchive(archiveId: string): Promise<void> {
  return call<void>('cancel_archive', { archiveId });
}

/** Files dragged over the window: `over` while they hover (with their paths when the
 *  platform says), `leave` when they go, `drop` with the dropped paths. */
export type FileDrag = { kind: 'over'; paths: string[] } | { kind: 'leave' } | { kind: 'drop'; paths: string[] };

/** Calls `handler` as files are dragged over and dropped on the window (Tauri's drag-drop
 *  events); resolves to a function that stops listening. */
export async function onFileDrag(handler: (drag: FileDrag) => void): Promise<() => void> {
  const paths = (payload: unknown) => ((payload as { paths?: string[] } | null)?.paths ?? []).slice();
  const stops = await Promise.all([
    listen('tauri://drag-enter', (e) => handler({ kind: 'over', paths: paths(e.payload) })),
    listen('tauri://drag-leave', () => handler({ kind: 'leave' })),
    listen('tauri://drag-drop', (e) => handler({ kind: 'drop', paths: paths(e.payload) })),
  ]);
  return () => stops.forEach((stop) => stop());
}

/** The settings file shared with the CLI, and what it holds. */
export function getSettings(): Promise<SettingsAnswer> {
  return call<SettingsAnswer>('get_settings');
}

/** Checks and writes the settings; rejects with `invalidInput` naming a bad setting. */
export function saveSettings(settings: Settings): Promise<SettingsAnswer> {
  return call<SettingsAnswer>('save_settings', { settings });
}

/** Whether credentials are saved for `registry` (`null`: Docker Hub): the user and where,
 *  never the secret. */
export function registrySignInStatus(registry: string | null): Promise<SignInStatus> {
  return call<SignInStatus>('registry_sign_in_status', { registry });
}

/** Checks the credentials against the registry, then saves them as `docker login` does
 *  (credential helper, else Docker's config.json). Rejects with `auth` when refused. */
export function registrySignIn(registry: string | null, username: string, password: string): Promise<SignInAnswer> {
  return call<SignInAnswer>('registry_sign_in', { registry, username, password });
}

/** Forgets the registry's saved credentials as `docker logout` does; answers with what is left. */
export function registrySignOut(registry: string | null): Promise<SignInStatus> {
  return call<SignInStatus>('registry_sign_out', { registry });
}

/** What the offline vulnerability database holds. */
export function vulndbStatus(): Promise<VulnDbStatus> {
  return call<VulnDbStatus>('vulndb_status');
}

/** Downloads and imports OSV's exports of `ecosystems`; `onEvent` receives each step. */
export function updateVulndb(ecosystems: string[], onEvent: (event: VulnDbProgress) => void): Promise<VulnDbStatus> {
  const channel = new Channel<VulnDbProgress>(onEvent);
  return call<VulnDbStatus>('update_vulndb', { ecosystems, onEvent: channel });
}

/** Cancels the running database update; it then rejects with code `cancelled`. */
export function cancelVulndbUpdate(): Promise<void> {
  return call<void>('cancel_vulndb_update');
}

// ---- UI preferences (not settings: those are the CLI's config file, above) ----

/** The colour theme: `system` follows the operating system. */
export type Theme = 'light' | 'dark' | 'system';

/** What the UI remembers between runs, in the app's own store file. */
export type Preferences = {
  theme?: Theme;
  sbomFormat?: SbomKind;
  severityFilter?: SeverityLevel[];
};

let preferences: Promise<Store | null> | null = null;

function preferenceStore(): Promise<Store | null> {
  // A store that cannot be opened (no permission, a test without it) just remembers nothing.
  preferences ??= load('preferences.json', { autoSave: 200, defaults: {} }).catch(() => null);
  return preferences;
}

/** A remembered preference, or `undefined`. */
export async function getPreference<K extends keyof Preferences>(key: K): Promise<Preferences[K] | undefined> {
  try {
    const store = await preferenceStore();
    return (await store?.get<Preferences[K]>(key)) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Remembers a preference (best effort: a failure is not the person's problem). */
export async function setPreference<K extends keyof Preferences>(key: K, value: Preferences[K]): Promise<void> {
  try {
    const store = await preferenceStore();
    await store?.set(key, value);
  } catch {
    // Forgotten next time; nothing else depends on it.
  }
}

/** Gives the window's own frame the theme (`null`: the system's). Best effort: where the
 *  platform cannot, the page's colours still follow the chosen theme. */
export async function setWindowTheme(theme: 'light' | 'dark' | null): Promise<void> {
  try {
    await getCurrentWindow().setTheme(theme);
  } catch {
    // No window (a test) or no native theme on this platform.
  }
}

/** For tests: forget the opened preference store. */
export function resetPreferences(): void {
  preferences = null;
}

/** Calls `handler` whenever the store changes (a pull finished); returns the unsubscribe. */
export async function onStoreChanged(handler: () => void): Promise<() => void> {
  return listen('store-changed', () => handler());
}
