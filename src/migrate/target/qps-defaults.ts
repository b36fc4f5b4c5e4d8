// Default requests per second per operation: ApsaraVideo's published per-account limits
// (reference "Misc limits": QPS per account). Where no limit is published the value is ours,
// chosen conservatively, and marked so. `--rps <Action>=<n>` overrides any of them (`*=<n>` all).
export const DEFAULT_RPS: Readonly<Record<string, number>> = Object.freeze({
  // 200,000 calls a day per account: 2 a second stays under it (172,800 a day) and, at 20 URLs a
  // call, still submits 40 URLs a second.
  UploadMediaByURL: 2,
  GetURLUploadInfos: 100,
  RegisterMedia: 50,
  CancelUrlUploadJobs: 50,
  GetPlayInfo: 360,
  SearchMedia: 50,
  GetVideoInfo: 100,
  UpdateVideoInfo: 100,
  DeleteVideo: 30,
  // CreateUploadVideo: 80 in the major regions, 40 elsewhere: the lower figure fits every region.
  CreateUploadVideo: 40,
  RefreshUploadVideo: 40,
  GetMessageCallback: 15,
  // Not published: treated like their closest published relatives.
  GetVideoInfos: 100, // like GetVideoInfo
  GetMezzanineInfo: 100, // like GetVideoInfo
  GetVideoList: 50, // like SearchMedia
  GetCategories: 20, // ours
  AddCategory: 10, // ours
});

/** For an operation not listed above. */
export const DEFAULT_OTHER_RPS = 10;
