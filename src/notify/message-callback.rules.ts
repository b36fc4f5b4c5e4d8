// SetMessageCallback's parameters and their rules (reference §8), as pure functions.
//   CallbackType  HTTP (MNS is not available in OpenVOD)
//   CallbackURL   HTTP only; at most 256 bytes; one http(s) URL
//   EventTypeList comma list; `ALL` = all on; empty = all off
//   AuthSwitch    on | off
//   AuthKey       at most 32 characters, mixing upper-case letters, lower-case letters and digits
import { isIP } from 'node:net';
import { ApiError, invalid, missing } from '../domain/errors.js';
import { createAddressPolicy } from '../ingest/ssrf-guard.js';
import { formatEventTypeList, parseEventTypeList } from './event-types.js';

export const CALLBACK_URL_MAX_BYTES = 256;
export const AUTH_KEY_MAX_CHARS = 32;

/** One app's callback configuration. */
export interface MessageCallbackSettings {
  readonly appId: string;
  readonly callbackType: 'HTTP';
  readonly callbackUrl: string;
  /** `ALL`, or canonical names joined by commas; empty = every event off. */
  readonly eventTypes: string;
  readonly authSwitch: 'on' | 'off';
  /** Empty when none was ever set. */
  readonly authKey: string;
}

/** What one SetMessageCallback call asks for; undefined = keep the current value. */
export interface MessageCallbackChange {
  readonly callbackType?: string | undefined;
  readonly callbackUrl?: string | undefined;
  /** Present-but-empty turns every event off. */
  readonly eventTypeList?: string | undefined;
  readonly authSwitch?: string | undefined;
  readonly authKey?: string | undefined;
  readonly mnsEndpoint?: string | undefined;
  readonly mnsQueueName?: string | undefined;
}

export function checkAppId(appId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId)) throw invalid('AppId', 'It must be 1-64 letters, digits, "_" or "-".');
  return appId;
}

/**
 * A callback URL: http(s), at most 256 bytes, a host, no user-info. An IP-literal host (or
 * `localhost`) that the SSRF guard would refuse is refused here already; names are checked on
 * every delivery, against every address they resolve to.
 */
export function checkCallbackUrl(text: string, opts: { allowPrivate: boolean }): string {
  if (Buffer.byteLength(text) > CALLBACK_URL_MAX_BYTES) {
    throw new ApiError('LengthExceededMax', `CallbackURL exceeds the maximum length of ${CALLBACK_URL_MAX_BYTES} bytes.`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('CallbackURL', 'It must be an absolute http or https URL.');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || /\s/.test(text)) throw invalid('CallbackURL', 'It must be an absolute http or https URL.');
  if (url.hostname === '') throw invalid('CallbackURL', 'It has no host.');
  if (url.username !== '' || url.password !== '') throw invalid('CallbackURL', 'It must not carry a user name or password; use AuthKey to authenticate callbacks.');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost') ? '127.0.0.1' : isIP(host) !== 0 ? host : undefined;
  if (literal !== undefined) {
    const verdict = createAddressPolicy({ allowPrivate: opts.allowPrivate }).check(literal);
    if (!verdict.allowed) {
      throw invalid('CallbackURL', `Its host is a ${verdict.class} address, which callbacks may not reach (OPENVOD_ALLOW_PRIVATE_NETWORKS is off).`);
    }
  }
  return text;
}

export function checkAuthKey(key: string): string {
  if (key.length > AUTH_KEY_MAX_CHARS) throw new ApiError('LengthExceededMax', `AuthKey exceeds the maximum length of ${AUTH_KEY_MAX_CHARS} characters.`);
  if (!/^[\x21-\x7e]+$/.test(key) || !/[A-Z]/.test(key) || !/[a-z]/.test(key) || !/[0-9]/.test(key)) {
    throw invalid('AuthKey', 'It must contain upper-case letters, lower-case letters and digits (printable ASCII, no spaces).');
  }
  return key;
}

/**
 * Applies one SetMessageCallback call to the current configuration (if any). Parameters not
 * given keep their current value; a first configuration needs a CallbackURL and selects every
 * event type unless EventTypeList says otherwise.
 */
export function applyMessageCallbackChange(
  appId: string,
  current: MessageCallbackSettings | undefined,
  change: MessageCallbackChange,
  opts: { allowPrivate: boolean },
): MessageCallbackSettings {
  const type = change.callbackType ?? current?.callbackType ?? 'HTTP';
  if (type.toUpperCase() === 'MNS' || change.mnsEndpoint !== undefined || change.mnsQueueName !== undefined) {
    throw new ApiError('UnsupportedOperation', 'MNS callbacks are not available in OpenVOD; use CallbackType HTTP with a CallbackURL.');
  }
  if (type.toUpperCase() !== 'HTTP') throw invalid('CallbackType', 'It must be HTTP (or MNS, which OpenVOD does not support).');

  const urlText = change.callbackUrl ?? current?.callbackUrl;
  if (urlText === undefined || urlText === '') throw missing('CallbackURL');
  const callbackUrl = checkCallbackUrl(urlText, opts);

  const eventTypes = change.eventTypeList !== undefined ? formatEventTypeList(parseEventTypeList(change.eventTypeList)) : (current?.eventTypes ?? 'ALL');

  const switchText = (change.authSwitch ?? current?.authSwitch ?? 'off').toLowerCase();
  if (switchText !== 'on' && switchText !== 'off') throw invalid('AuthSwitch', 'It must be on or off.');
  const authKey = change.authKey !== undefined ? checkAuthKey(change.authKey) : (current?.authKey ?? '');
  if (switchText === 'on' && authKey === '') throw new ApiError('MissingParameter', 'AuthSwitch is on: the input parameter "AuthKey" must be supplied.');

  return { appId, callbackType: 'HTTP', callbackUrl, eventTypes, authSwitch: switchText, authKey };
}
