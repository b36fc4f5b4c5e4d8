// openvod/sdk: the RPC client and the uploader.
export { VodApiError, VodRpcClient } from './rpc-client.js';
export type { CallOptions, RpcClientOptions, RpcParams } from './rpc-client.js';
export { createUploader } from './uploader.js';
export type {
  SdkLogger, StreamUploadOptions, UploadMetadata, Uploader, UploaderOptions, UploadProgress, UploadResult, UrlUploadOptions,
} from './uploader.types.js';
export { UploadError } from './upload.errors.js';
export type { UploadErrorCode } from './upload.errors.js';
export { decodeUploadAddress, decodeUploadAuth } from './upload-address.js';
export type { UploadAddress, UploadAuth } from './upload-address.js';
