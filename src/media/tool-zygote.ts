// Whether media tool runs are forked from a zygote (native/tool-zygote.c, tool-runner.ts): a
// dynamically linked ffprobe or ffmpeg started once and kept ready at its main(), so that each
// run skips the dynamic linker's work. Off until the server turns it on (`media.zygote`).
import { nativeHelper } from '../native/native-files.js';
import { elfLinking } from './elf-linking.js';

let library: string | undefined;

/** Turns zygotes on; returns the library's path, or undefined when it was not built (runs then start processes). */
export function useToolZygotes(on = true): string | undefined {
  library = on ? nativeHelper('tool-zygote.so') : undefined;
  return library;
}

/** The zygote library for runs of `path`, when zygotes are on and the tool is dynamically linked (a static build cannot preload it). */
export function zygoteLibrary(path: string): string | undefined {
  return library !== undefined && process.platform === 'linux' && elfLinking(path) === 'dynamic' ? library : undefined;
}
