// Host messages shaped as the daemon sends them. Tests that use them first check each one
// against the published schema, so a fixture cannot drift from the real protocol unnoticed.

export const HASH = 'c9e15763f722f23e98a29decdfae341b98d53056';
export const HASH2 = '5340f1b2c91946bb03a3b4be0ba5f565d2de6b3f';
const MiB = 1024 * 1024;

export const STREAM_URL = `http://192.168.1.10:41231/s/9f2c4e/film.mp4`;

/** The daemon's words when the download cap is below what a watched video needs (need.rs). */
export const CAP_WARNING =
  'the download cap (100 kB/s) is below what Film.mp4 needs to play (440 kB/s): playback will stall; raise it or lift it (magnetcast limit --down off)';

export const file = { index: 0, path: 'Film/film.mp4', length: 700 * MiB, kind: 'video' };

export const events = {
  added: { v: 1, event: 'added', torrent: HASH, name: null },
  metadata: {
    v: 1,
    event: 'metadata',
    torrent: HASH,
    name: 'Film',
    files: [file, { index: 1, path: 'Film/film.srt', length: 40_000, kind: 'subtitle' }],
    file_count: 2,
    selected: 0,
  },
  progress: (patch = {}) => ({
    v: 1,
    event: 'progress',
    torrent: HASH,
    state: 'streaming',
    reason: null,
    ratio: 0,
    downloaded: 70 * MiB,
    total: 700 * MiB,
    uploaded: 0,
    down_bps: 2 * MiB,
    up_bps: 0,
    peers: 5,
    buffered_ahead: 35 * MiB,
    streams: 1,
    finished: false,
    active_secs: 95,
    seeding_secs: 0,
    kept: false,
    ...patch,
  }),
  completed: { v: 1, event: 'completed', torrent: HASH },
  error: { v: 1, event: 'error', torrent: HASH, message: 'disk full: /media/films' },
  /** The same warning, said once as an error event when it first appears. */
  capWarning: { v: 1, event: 'error', torrent: HASH, message: CAP_WARNING },
  removed: { v: 1, event: 'removed', torrent: HASH, files_deleted: false },
  /** A removal the user did not ask for: the streaming cache made room for another torrent. */
  evicted: {
    v: 1,
    event: 'removed',
    torrent: HASH,
    files_deleted: true,
    reason: 'evicted from the streaming cache to make room for Other Film (limit 2.0 MB): watched least recently',
  },
  cast: (patch = {}) => ({
    v: 1,
    event: 'cast',
    device: 'Living Room TV',
    link: 'connected',
    reason: null,
    app: 'Default Media Receiver',
    player_state: 'PLAYING',
    position: 60,
    duration: 600,
    volume: 0.5,
    muted: false,
    idle_reason: null,
    media_url: STREAM_URL,
    ...patch,
  }),
  /** A cast of film.mp4 with its AC-3 sound converted as it plays, two subtitle tracks, English on. */
  convertedCast: (patch = {}) =>
    events.cast({
      media_url: CONVERTED_URL,
      verdict: { plan: 'transcode', reason: TRANSCODE_REASON },
      tracks: TRACKS,
      active_tracks: [1],
      ...patch,
    }),
};

/** The daemon's words for converting the sound (media/verdict.rs). */
export const TRANSCODE_REASON =
  'needs a transcode: Chromecast (1st–3rd generation) has no AC-3 decoder (only HDMI passthrough, which is off for this device); audio becomes AAC stereo, video is copied';

/** A converted stream (`/r/<token>/…`, its own token), as `play` answers and the cast then says. */
export const CONVERTED_URL = 'http://192.168.1.10:41231/r/77aa01/film.mp4?start=754.000';

/** Subtitle tracks as the cast and `play` carry them: one from the torrent, one embedded. */
export const TRACKS = [
  { id: 1, url: 'http://192.168.1.10:41231/v/77aa01/1.vtt', name: 'film.en.srt', language: 'en' },
  { id: 2, url: 'http://192.168.1.10:41231/v/77aa01/2.vtt', name: 'Français', language: 'fr' },
];

/** `play`'s answer (service.rs `play`): resumed at 12:34, sound converted, English subtitles on. */
export const played = {
  device: 'Living Room TV',
  stream_url: CONVERTED_URL,
  start_at: 754,
  verdict: { plan: 'transcode', reason: TRANSCODE_REASON },
  tracks: TRACKS,
  active_tracks: [1],
};

/** The `add` / `list` entry for HASH (service.rs `describe`). */
export const described = {
  torrent: HASH,
  name: 'Film',
  file,
  file_count: 2,
  stream_url: 'http://127.0.0.1:41231/s/9f2c4e/film.mp4',
  player_url: 'http://127.0.0.1:41231/p/9f2c4e/film.mp4',
};

/** `{v, event, ...}` → the bare payload, as `status` lists Progress and CastStatus. */
export const bare = ({ v: _v, event: _e, ...rest }) => rest;
