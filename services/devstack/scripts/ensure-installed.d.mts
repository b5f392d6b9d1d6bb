// Types of ensure-installed.mjs (plain JavaScript, so that it runs before anything is built).
export interface Lockfile {
  readonly packages?: Record<string, { readonly version?: string; readonly resolved?: string; readonly link?: boolean; readonly optional?: boolean; readonly devOptional?: boolean; readonly [field: string]: unknown }>;
}
export type Manifest = Record<string, unknown> & { readonly workspaces?: readonly string[] };
export function installProblem(lock: Lockfile, installed: Lockfile | undefined, manifests: Record<string, Manifest>): string | undefined;
export function readInstallState(root: string): { lock: Lockfile; installed: Lockfile | undefined; manifests: Record<string, Manifest> };
