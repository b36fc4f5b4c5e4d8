// The OSS errors the upload endpoint answers with (oss-upload-subset §8), as one catalog.
// Domain code throws OssError; the route renders `<Error>` XML (or, for HEAD, the `x-oss-err`
// header) with the status below.

export const OSS_ERRORS = {
  AccessDenied: { status: 403, message: 'You have no right to access this object.' },
  InvalidAccessKeyId: { status: 403, message: 'The OSS Access Key Id you provided does not exist in our records.' },
  SignatureDoesNotMatch: { status: 403, message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' },
  InvalidSecurityToken: { status: 403, message: 'The security token you provided is invalid.' },
  SecurityTokenExpired: { status: 403, message: 'The security token you provided has expired.' },
  RequestTimeTooSkewed: { status: 403, message: 'The difference between the request time and the current time is too large.' },
  InvalidArgument: { status: 400, message: 'An argument is invalid.' },
  InvalidDigest: { status: 400, message: 'The Content-MD5 you specified was invalid.' },
  InvalidCRC64: { status: 400, message: 'The x-oss-hash-crc64ecma you specified does not match what we calculated.' },
  InvalidObjectName: { status: 400, message: 'The specified object name is invalid.' },
  InvalidPart: { status: 400, message: "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag." },
  InvalidPartOrder: { status: 400, message: 'The list of parts was not in ascending order.' },
  EntityTooSmall: { status: 400, message: 'Your proposed upload smaller than the minimum allowed size.' },
  EntityTooLarge: { status: 400, message: 'Your proposed upload exceeds the maximum allowed size.' },
  IncompleteBody: { status: 400, message: 'The body of the request is shorter than its Content-Length.' },
  MalformedXML: { status: 400, message: 'The XML you provided was not well-formed or did not validate against our published schema.' },
  NoSuchBucket: { status: 404, message: 'The specified bucket does not exist.' },
  NoSuchKey: { status: 404, message: 'The specified key does not exist.' },
  NoSuchUpload: { status: 404, message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.' },
  MethodNotAllowed: { status: 405, message: 'The specified method is not allowed against this resource.' },
  MissingContentLength: { status: 411, message: 'You must provide the Content-Length HTTP header.' },
  NotImplemented: { status: 501, message: 'A header you provided implies functionality that is not implemented.' },
  InternalError: { status: 500, message: 'We encountered an internal error. Please try again.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type OssErrorCode = keyof typeof OSS_ERRORS;

export class OssError extends Error {
  readonly status: number;

  constructor(
    readonly code: OssErrorCode,
    message?: string,
    /** Operation-specific elements of the error body (UploadId, StringToSign, …). */
    readonly extra?: Readonly<Record<string, string>>,
    options?: { cause?: unknown },
  ) {
    super(message ?? OSS_ERRORS[code].message, options);
    this.name = 'OssError';
    this.status = OSS_ERRORS[code].status;
  }
}
