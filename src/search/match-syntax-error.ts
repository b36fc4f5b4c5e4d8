import { ApiError } from '../domain/errors.js';

const SNIPPET_MAX = 40;

/**
 * A bad `Match` (SearchMedia, reference §6): `ErrorMatchSyntax`, HTTP 400. The message names the
 * bad part and its 1-based character position in the Match string, e.g.
 * `Match error at position 9 ("Titel"): unknown field "Titel".`
 */
export class MatchSyntaxError extends ApiError {
  /** 1-based position of the bad part in the Match string (UTF-16 code units, as JavaScript counts). */
  readonly position: number;
  readonly part: string;
  readonly reason: string;

  constructor(index: number, part: string, reason: string) {
    const shown = part.length > SNIPPET_MAX ? `${part.slice(0, SNIPPET_MAX)}…` : part;
    super('ErrorMatchSyntax', `Match error at position ${index + 1}${shown === '' ? '' : ` (${JSON.stringify(shown)})`}: ${reason}`);
    this.name = 'MatchSyntaxError';
    this.position = index + 1;
    this.part = part;
    this.reason = reason;
  }
}
