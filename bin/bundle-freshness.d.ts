/** dist/openvod.mjs under `root`. */
export function bundlePath(root: string): string;
/** The bundle exists and no file under `root`/src is newer. */
export function bundleIsFresh(root: string): boolean;
