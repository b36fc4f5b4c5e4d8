// UserData (reference §8): a JSON object in a string, with optional MessageCallback
// {CallbackURL, CallbackType} and Extend (object or string, ≤512 bytes once serialised);
// nested objects and stringified nested JSON are both accepted.
import { ApiError, invalid } from './errors.js';

export const USER_DATA_MAX_BYTES = 4096; // total limit UNCONFIRMED upstream; ours, documented
export const EXTEND_MAX_BYTES = 512;

export interface UserData {
  callbackUrl: string | undefined;
  /** Extend as it will be echoed in callbacks: objects serialised to a JSON string. */
  extend: string | undefined;
}

export function parseUserData(text: string): UserData {
  if (text === '') return { callbackUrl: undefined, extend: undefined };
  if (Buffer.byteLength(text) > USER_DATA_MAX_BYTES) {
    throw new ApiError('LengthExceededMax', `UserData exceeds the maximum length of ${USER_DATA_MAX_BYTES} bytes.`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid('UserData', 'It must be a JSON object.');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid('UserData', 'It must be a JSON object.');
  const record = data as Record<string, unknown>;

  let callbackUrl: string | undefined;
  const mc = unwrap(record.MessageCallback, 'UserData.MessageCallback');
  if (mc !== undefined) {
    if (mc === null || typeof mc !== 'object' || Array.isArray(mc)) throw invalid('UserData', 'MessageCallback must be an object.');
    const url = (mc as Record<string, unknown>).CallbackURL;
    if (url !== undefined) {
      if (typeof url !== 'string' || !/^https?:\/\/\S+$/i.test(url) || Buffer.byteLength(url) > 1024) {
        throw invalid('UserData', 'MessageCallback.CallbackURL must be an http(s) URL of at most 1024 bytes.');
      }
      callbackUrl = url;
    }
    const type = (mc as Record<string, unknown>).CallbackType;
    if (type !== undefined && (typeof type !== 'string' || type.toLowerCase() !== 'http')) {
      throw new ApiError('UnsupportedOperation', 'Only HTTP callbacks are supported (CallbackType "http"); MNS is not available in OpenVOD.');
    }
  }

  let extend: string | undefined;
  if (record.Extend !== undefined && record.Extend !== null) {
    extend = typeof record.Extend === 'string' ? record.Extend : JSON.stringify(record.Extend);
    if (Buffer.byteLength(extend) > EXTEND_MAX_BYTES) {
      throw new ApiError('LengthExceededMax', `UserData.Extend exceeds the maximum length of ${EXTEND_MAX_BYTES} bytes.`);
    }
  }
  return { callbackUrl, extend };
}

/** Validates and returns the UserData text unchanged (it is stored and shown as given). */
export function checkUserData(text: string): string {
  parseUserData(text);
  return text;
}

function unwrap(value: unknown, name: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw invalid('UserData', `${name} is a string but not valid JSON.`);
  }
}
