// One catalog of the errors the API can answer with, in ApsaraVideo's naming.
// Domain code throws `ApiError`; the RPC edge maps it to Alibaba's error body
// (`RequestId, HostId, Code, Message, Recommend`) with the status below.

export interface ErrorSpec {
  readonly httpStatus: number;
  readonly message: string;
}

export const ERROR_CATALOG = {
  // Gateway / request shape
  MissingParameter: { httpStatus: 400, message: 'A required parameter is missing.' },
  InvalidParameter: { httpStatus: 400, message: 'A parameter is invalid.' },
  'InvalidApi.NotFound': { httpStatus: 404, message: 'Specified api is not found, please check your url and method.' },
  'InvalidVersion': { httpStatus: 400, message: 'Specified parameter Version is not valid.' },
  'InvalidAction.NotFound': { httpStatus: 404, message: 'Specified api is not found, please check your url and method.' },
  UnsupportedOperation: { httpStatus: 400, message: 'The operation is not supported.' },
  'Throttling.User': { httpStatus: 400, message: 'Request was denied due to user flow control.' },
  RequestEntityTooLarge: { httpStatus: 413, message: 'The request body is too large.' },

  // Authentication
  'InvalidAccessKeyId.NotFound': { httpStatus: 404, message: 'Specified access key is not found.' },
  'InvalidAccessKeyId.Inactive': { httpStatus: 400, message: 'Specified access key is disabled.' },
  SignatureDoesNotMatch: { httpStatus: 400, message: 'Specified signature is not matched with our calculation.' },
  IncompleteSignature: { httpStatus: 400, message: 'The request signature does not conform to Aliyun standards.' },
  SignatureNonceUsed: { httpStatus: 400, message: 'Specified signature nonce was used already.' },
  'InvalidTimeStamp.Expired': { httpStatus: 400, message: 'Specified time stamp or date value is expired.' },
  'InvalidTimeStamp.Format': { httpStatus: 400, message: 'Specified time stamp or date value is not well formatted.' },
  IllegalTimestamp: { httpStatus: 400, message: 'The input parameter "Timestamp" that is mandatory for processing this request is not supplied.' },
  'InvalidSignatureMethod': { httpStatus: 400, message: 'Specified signature method is not supported.' },
  'Forbidden.RAM': { httpStatus: 403, message: "User not authorized to operate on the specified resource, or this API doesn't support RAM." },
  Forbidden: { httpStatus: 403, message: 'User not authorized to operate on the specified resource.' },

  // Media
  'InvalidVideo.NotFound': { httpStatus: 404, message: 'The video does not exist.' },
  'InvalidVideo.Damaged': { httpStatus: 400, message: 'The video is damaged.' },
  'InvalidFile.NotFound': { httpStatus: 404, message: 'The file does not exist.' },
  'Forbidden.IllegalStatus': { httpStatus: 403, message: 'Status of the video is illegal.' },
  'InvalidVideo.NoneStream': { httpStatus: 404, message: 'The video has no stream that matches the request.' },
  VideoIdsExceededMax: { httpStatus: 400, message: 'The number of video ids exceeded the maximum.' },
  VideoListExceededMax: { httpStatus: 400, message: 'The video list exceeded the maximum of 5000 matches.' },
  DeleteVideoFailed: { httpStatus: 503, message: 'Failed to delete the video.' },
  LengthExceededMax: { httpStatus: 400, message: 'A field exceeds its maximum length.' },
  TagsExceededMax: { httpStatus: 400, message: 'The number of tags exceeded the maximum of 16.' },
  IllegalCharacters: { httpStatus: 400, message: 'The value contains illegal characters such as emoji.' },
  'InvalidCateId.NotFound': { httpStatus: 404, message: 'The CateId not exist.' },
  LevelExceededMax: { httpStatus: 400, message: 'The level of categories exceeded maximum.' },
  SubTotalExceededMax: { httpStatus: 400, message: 'The total of sub categories exceeded maximum.' },
  'InvalidReferenceId.Duplicate': { httpStatus: 400, message: 'The ReferenceId is already in use.' },

  // Upload by URL
  'InvalidParameter.UploadURLs': { httpStatus: 400, message: 'The UploadURLs parameter is invalid.' },
  'InvalidParameter.UploadMetadatas': { httpStatus: 400, message: 'The UploadMetadatas parameter is invalid.' },
  'InvalidParameter.SessionId': { httpStatus: 400, message: 'The SessionId parameter is invalid or was used for another request within 10 minutes.' },
  'InvalidFileName.Extension': { httpStatus: 400, message: 'The file extension is not a supported audio or video format.' },
  'InvalidTemplateGroupId.NotFound': { httpStatus: 404, message: 'The transcode template group does not exist.' },
  'InvalidWorkflowId.NotFound': { httpStatus: 404, message: 'The workflow does not exist.' },
  'InvalidStorage.NotFound': { httpStatus: 404, message: 'The storage location does not exist.' },
  'InvalidStorage.ReadOnly': { httpStatus: 403, message: 'The storage location does not accept new media (it is declared read-only).' },

  // SearchMedia (reference §6)
  ErrorMatchSyntax: { httpStatus: 400, message: 'The Match expression has a syntax error.' },
  SortByExceededMax: { httpStatus: 400, message: 'SortBy has too many fields: at most 3 in page mode, exactly 1 with a ScrollToken.' },
  'InvalidScrollToken.Expired': { httpStatus: 400, message: 'The ScrollToken is unknown or has expired.' },

  // Upload (CreateUploadVideo, RefreshUploadVideo, CreateUploadImage; reference §3)
  'Forbidden.InitFailed': { httpStatus: 403, message: 'Failed to initialize the upload.' },
  AddVideoFailed: { httpStatus: 503, message: 'Failed to create the video.' },
  'InvalidImageType.NotFound': { httpStatus: 400, message: 'The ImageType is not supported.' },

  InternalError: { httpStatus: 500, message: 'The request processing has failed due to some unknown error.' },
  ServiceUnAvailable: { httpStatus: 503, message: 'The request has failed due to a temporary failure of the server.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error with a stable Alibaba-style code. Domain code throws these; the edge renders them. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; httpStatus?: number }) {
    const spec: ErrorSpec = ERROR_CATALOG[code];
    super(message ?? spec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.httpStatus = options?.httpStatus ?? spec.httpStatus;
  }
}

export const missing = (param: string): ApiError =>
  new ApiError('MissingParameter', `The input parameter "${param}" that is mandatory for processing this request is not supplied.`);

export const invalid = (param: string, why: string): ApiError =>
  new ApiError('InvalidParameter', `The specified parameter "${param}" is not valid. ${why}`);
