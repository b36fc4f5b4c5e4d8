// Event type names a callback configuration may select (reference §8, SetMessageCallback
// EventTypeList). OpenVOD emits a subset of them today; selecting the others is accepted, as
// ApsaraVideo accepts it, and simply never matches.
import { invalid } from '../domain/errors.js';

export const KNOWN_EVENT_TYPES = [
  'FileUploadComplete', 'ImageUploadComplete', 'StreamTranscodeComplete', 'TranscodeComplete', 'SnapshotComplete',
  'DynamicImageComplete', 'AddLiveRecordVideoComplete', 'LiveRecordVideoComposeStart', 'UploadByURLComplete',
  'CreateAuditComplete', 'VideoAnalysisComplete', 'AttachedMediaUploadComplete', 'ProduceMediaComplete',
  'DeleteMediaComplete', 'MediaBaseChangeComplete', 'AIComplete',
] as const;

export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

/** A selection of event types: every type, or exactly the listed ones (possibly none). */
export type EventTypeSelection = { readonly all: true } | { readonly all: false; readonly types: readonly KnownEventType[] };

const byLowerName = new Map<string, KnownEventType>(KNOWN_EVENT_TYPES.map((t) => [t.toLowerCase(), t]));

/**
 * Parses an EventTypeList parameter: `ALL` = every type; a comma list of names; empty = none.
 * Names are matched without regard to case and written back in their canonical spelling.
 */
export function parseEventTypeList(text: string): EventTypeSelection {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.some((s) => s.toUpperCase() === 'ALL')) {
    if (items.length > 1) throw invalid('EventTypeList', 'ALL cannot be combined with other event types.');
    return { all: true };
  }
  const types: KnownEventType[] = [];
  for (const item of items) {
    const known = byLowerName.get(item.toLowerCase());
    if (known === undefined) throw invalid('EventTypeList', `Unknown event type "${item}".`);
    if (!types.includes(known)) types.push(known);
  }
  return { all: false, types };
}

/** The stored and displayed form: `ALL`, or the names joined by commas (empty = none). */
export function formatEventTypeList(selection: EventTypeSelection): string {
  return selection.all ? 'ALL' : selection.types.join(',');
}

/** Whether the stored EventTypeList selects `eventType`. */
export function selectsEventType(stored: string, eventType: string): boolean {
  if (stored === 'ALL') return true;
  return stored.split(',').includes(eventType);
}
