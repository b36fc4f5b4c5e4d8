/** The built-in storage's location name (the `StorageLocation` of media stored in the data dir). */
export const DEFAULT_STORAGE_LOCATION = 'openvod-default';

/** The one template group OpenVOD knows: store and play the original, no transcoding. */
export const NO_TRANSCODE_GROUP = 'VOD_NO_TRANSCODE';

export const DEFAULT_APP_ID = 'app-1000000';
