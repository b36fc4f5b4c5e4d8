/** ApsaraVideo's time format: ISO-8601 UTC without milliseconds, e.g. 2024-05-01T08:00:00Z. */
export const isoSeconds = (ms: number): string => {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ (years 0–9999; others get a sign)
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
};

/** Parses `YYYY-MM-DDThh:mm:ssZ` (optionally with fractional seconds); undefined when malformed. */
export function parseIsoUtc(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
