//! The service behind the protocol: the engine, the stream server and the device sessions, and
//! what each request does to them. The daemon serves it over a WebSocket; tests call it directly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cast::{self, CastCommand, DeviceSession};
use crate::config::Config;
use crate::engine::{AddOptions, Torrent, TorrentEngine};
use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::protocol::{Command, ErrorCode, MAX_PAGE, Reply, Request};
use crate::source::{InfoHash, TorrentSource};
use crate::stream::StreamServer;

pub struct Service {
    pub engine: Arc<TorrentEngine>,
    pub server: StreamServer,
    paths: Paths,
    /// Serialises `settings_set`'s read-modify-write of config.toml.
    settings: Mutex<()>,
    /// Device sessions by device name; the last one used answers commands that name none.
    casts: Mutex<HashMap<String, Arc<DeviceSession>>>,
    last_device: Mutex<Option<String>>,
}

impl Service {
    pub async fn start(config: Config, paths: Paths) -> Result<Arc<Self>> {
        let engine = TorrentEngine::new(config, &paths).await?;
        let server = StreamServer::start(engine.clone(), None).await?;
        tokio::spawn(crate::resume::remember(engine.clone()));
        tokio::spawn(crate::awake::run(engine.clone()));
        Ok(Arc::new(Self {
            engine,
            server,
            paths,
            settings: Mutex::default(),
            casts: Mutex::default(),
            last_device: Mutex::default(),
        }))
    }

    /// True while anything needs the daemon: a torrent, a cast or an open stream.
    pub fn busy(&self) -> bool {
        !self.engine.torrents().is_empty() || !self.casts.lock().unwrap().is_empty()
    }

    pub async fn handle(&self, request: Request) -> Reply {
        let id = request.id;
        match self.dispatch(request.command).await {
            Ok(result) => Reply::ok(id, result),
            Err(e) => Reply::error(id, code(&e), e.to_string()),
        }
    }

    async fn dispatch(&self, command: Command) -> Result<Value> {
        match command {
            Command::Add {
                source,
                torrent_base64,
                file,
                device,
                keep,
            } => {
                let source = match (source, torrent_base64) {
                    (Some(s), None) => TorrentSource::parse_arg(&s)?,
                    (None, Some(b)) => TorrentSource::from_bytes(
                        data_encoding::BASE64
                            .decode(b.as_bytes())
                            .map_err(|e| Error::InvalidTorrent(format!("torrent_base64: {e}")))?
                            .into(),
                    )?,
                    _ => {
                        return Err(Error::BadRequest(
                            "add needs exactly one of source and torrent_base64".into(),
                        ));
                    }
                };
                let opts = AddOptions {
                    file: file.map(|f| f.parse().expect("infallible")),
                    keep,
                    ..Default::default()
                };
                let torrent = self.engine.add(source, opts).await?;
                let mut result = self.describe(&torrent, None);
                if let Some(device) = device {
                    result["cast"] = self.play(&torrent, Some(&device), None).await?;
                }
                Ok(result)
            }
            Command::List { offset, limit } => {
                let mut all = self.engine.torrents();
                all.sort_by(|a, b| a.name.cmp(&b.name));
                // Magnets still fetching their metadata come first: they are the newest.
                let pending =
                    self.engine.pending().into_iter().map(
                        |(p, name)| json!({"torrent": p.torrent, "name": name, "state": p.state}),
                    );
                let listed: Vec<Value> = pending
                    .chain(all.iter().map(|t| self.describe(t, None)))
                    .collect();
                let page: Vec<&Value> = listed.iter().skip(offset).take(page_size(limit)).collect();
                Ok(json!({"total": listed.len(), "offset": offset, "torrents": page}))
            }
            Command::Status { torrent: Some(t) } => {
                Ok(serde_json::to_value(self.engine.progress(&hash(&t)?)?)?)
            }
            Command::Status { torrent: None } => {
                let pending = self.engine.pending().into_iter().map(|(p, _)| p);
                let progress: Vec<_> = pending
                    .chain(
                        self.engine
                            .torrents()
                            .iter()
                            .filter_map(|t| self.engine.progress(&t.info_hash).ok()),
                    )
                    .take(MAX_PAGE)
                    .collect();
                let casts: Vec<_> = self
                    .casts
                    .lock()
                    .unwrap()
                    .values()
                    .map(|s| s.status())
                    .collect();
                let cache = self.engine.cache_usage();
                Ok(json!({"torrents": progress, "casts": casts, "cache": cache}))
            }
            Command::Files {
                torrent,
                offset,
                limit,
            } => {
                let t = self.torrent(&torrent)?;
                let page: Vec<_> = t.files.iter().skip(offset).take(page_size(limit)).collect();
                Ok(
                    json!({"total": t.files.len(), "offset": offset, "selected": t.selected(), "files": page}),
                )
            }
            Command::SelectFile { torrent, file } => {
                let t = self.torrent(&torrent)?;
                self.engine.select_file(&t.info_hash, file).await?;
                Ok(self.describe(&t, None))
            }
            Command::Play {
                torrent,
                device,
                subtitles,
            } => {
                let t = self.torrent(&torrent)?;
                self.play(&t, device.as_deref(), subtitles).await
            }
            Command::Pause { device } => self.control(device, CastCommand::Pause),
            Command::Resume { device } => self.control(device, CastCommand::Play),
            Command::Seek {
                seconds: Some(s),
                by: None,
                device,
            } => self.control(device, CastCommand::Seek(s)),
            Command::Seek {
                seconds: None,
                by: Some(d),
                device,
            } => self.control(device, CastCommand::SeekBy(d)),
            Command::Seek { .. } => Err(Error::BadRequest(
                "seek needs exactly one of seconds and by".into(),
            )),
            Command::Volume {
                level,
                muted,
                device,
            } => {
                if level.is_none() && muted.is_none() {
                    return Err(Error::BadRequest(
                        "volume needs level (0-100) or muted".into(),
                    ));
                }
                if let Some(l) = level {
                    self.control(
                        device.clone(),
                        CastCommand::Volume((l / 100.0).clamp(0.0, 1.0)),
                    )?;
                }
                match muted {
                    Some(m) => self.control(device, CastCommand::Mute(m)),
                    None => Ok(json!({})),
                }
            }
            Command::Stop { device } => {
                let session = self.session(device.as_deref())?;
                self.casts.lock().unwrap().remove(&session.device.name);
                let name = session.device.name.clone();
                self.engine.casting.stopped(&name);
                session.send(CastCommand::Stop);
                tokio::task::spawn_blocking(move || session.close())
                    .await
                    .ok();
                Ok(json!({"device": name}))
            }
            Command::Subtitles { track, device } => {
                self.control(device, CastCommand::Subtitles(track))
            }
            Command::SubtitlesAdd { torrent, path } => {
                let t = self.torrent(&torrent)?;
                let id = self.server.add_local_subtitles(&t, path.into())?;
                let casting_it = self.engine.casting.devices_of(&t.info_hash);
                for device in &casting_it {
                    self.play(&t, Some(device), Some(id)).await?;
                }
                Ok(json!({"torrent": torrent, "track": id, "reloaded": casting_it}))
            }
            Command::SetSeeding {
                torrent,
                ratio,
                time_secs,
                follow_config,
            } => {
                let limits = (!follow_config)
                    .then_some(crate::engine::seeding::SeedLimits { ratio, time_secs });
                self.engine
                    .set_seed_limits(&hash(&torrent)?, limits)
                    .await?;
                Ok(json!({}))
            }
            Command::Keep { torrent } => Ok(serde_json::to_value(
                self.engine.keep(&hash(&torrent)?).await?,
            )?),
            Command::Remove {
                torrent,
                delete_files,
            } => {
                self.engine.remove(&hash(&torrent)?, delete_files).await?;
                Ok(json!({}))
            }
            Command::Devices { timeout_secs } => {
                let timeout = Duration::from_secs_f64(timeout_secs.unwrap_or(3.0).clamp(0.1, 30.0));
                Ok(
                    json!({"devices": cast::with_configured(&self.config(), cast::discovery::discover(timeout).await?)}),
                )
            }
            Command::SettingsGet => Ok(serde_json::to_value(&*self.engine.config())?),
            Command::SettingsSet { settings } => self.set_settings(settings),
            Command::Interfaces => {
                let mut by_name: std::collections::BTreeMap<String, Vec<String>> =
                    Default::default();
                for i in if_addrs::get_if_addrs()? {
                    by_name
                        .entry(i.name.clone())
                        .or_default()
                        .push(i.ip().to_string());
                }
                let list: Vec<_> = by_name
                    .into_iter()
                    .map(|(name, addrs)| json!({"name": name, "addresses": addrs}))
                    .collect();
                Ok(json!({"interfaces": list}))
            }
        }
    }

    fn torrent(&self, id: &str) -> Result<Arc<Torrent>> {
        let h = hash(id)?;
        self.engine
            .torrent(&h)
            .ok_or_else(|| Error::UnknownTorrent(id.to_string()))
    }

    fn describe(&self, t: &Torrent, target: Option<std::net::IpAddr>) -> Value {
        let published = self.server.publish_full(t, t.selected(), None);
        json!({
            "torrent": t.info_hash.to_hex(),
            "name": t.name,
            "file": t.selected_file(),
            "file_count": t.files.len(),
            "stream_url": self.server.url(&published.path(), target),
            // "Play here": the browser's own player, for when there is no TV.
            "player_url": self.server.local_url(&published.player_path()),
        })
    }

    /// The settings in force (a snapshot: `settings_set` may change them meanwhile).
    fn config(&self) -> Arc<Config> {
        self.engine.config()
    }

    /// Casts `t`; `subtitles` turns that track on instead of the preferred language's.
    async fn play(
        &self,
        t: &Torrent,
        device: Option<&str>,
        subtitles: Option<u32>,
    ) -> Result<Value> {
        let device = cast::resolve(&self.config(), device).await?;
        let existing = self.casts.lock().unwrap().get(&device.name).cloned();
        let session = match existing {
            Some(s) => s,
            None => {
                let s = DeviceSession::connect(device.clone(), self.engine.events.clone()).await?;
                self.casts
                    .lock()
                    .unwrap()
                    .insert(device.name.clone(), s.clone());
                s
            }
        };
        session.send(CastCommand::Launch);
        let mut load =
            cast::prepare::load_request(&self.engine, &self.server, t, Some(&device)).await?;
        if let Some(id) = subtitles {
            load.active_tracks = vec![id];
            if let Some(fallback) = &mut load.fallback {
                fallback.active_tracks = vec![id];
            }
        }
        let reply = json!({
            "device": device.name,
            "stream_url": load.content_id(),
            "start_at": load.start_at,
            "verdict": load.verdict,
            "tracks": load.tracks,
            "active_tracks": load.active_tracks,
        });
        session.send(CastCommand::Load(load));
        self.engine.casting.started(&device.name, t.info_hash);
        *self.last_device.lock().unwrap() = Some(device.name.clone());
        Ok(reply)
    }

    fn session(&self, device: Option<&str>) -> Result<Arc<DeviceSession>> {
        let casts = self.casts.lock().unwrap();
        let name = device
            .map(str::to_string)
            .or_else(|| self.last_device.lock().unwrap().clone());
        name.and_then(|n| casts.get(&n).cloned()).ok_or_else(|| {
            Error::Cast(format!("not casting to {}", device.unwrap_or("any device")))
        })
    }

    fn control(&self, device: Option<String>, command: CastCommand) -> Result<Value> {
        let session = self.session(device.as_deref())?;
        session.send(command);
        Ok(json!({"device": session.device.name}))
    }

    fn set_settings(&self, changes: Value) -> Result<Value> {
        let Value::Object(changes) = changes else {
            return Err(Error::BadRequest(
                "settings must be an object of config.toml keys".into(),
            ));
        };
        let _one_at_a_time = self.settings.lock().unwrap();
        let mut merged = serde_json::to_value(&*self.config())?;
        for (k, v) in changes {
            merged[k] = v;
        }
        // TOML has no null: an unset key is an absent one (and `null` in a change unsets it).
        if let Value::Object(map) = &mut merged {
            map.retain(|_, v| !v.is_null());
        }
        let text = toml::to_string(&merged).map_err(|e| Error::BadRequest(e.to_string()))?;
        let updated = Config::parse(&text).map_err(Error::BadRequest)?;
        std::fs::create_dir_all(&self.paths.config_dir)?;
        std::fs::write(
            self.paths.config_file(),
            toml::to_string(&updated).map_err(|e| Error::BadRequest(e.to_string()))?,
        )?;
        let reply = serde_json::to_value(&updated)?;
        self.engine.set_config(updated);
        Ok(reply)
    }

    /// Stops every cast and the engine.
    pub async fn shutdown(&self) {
        let sessions: Vec<_> = self.casts.lock().unwrap().drain().map(|(_, s)| s).collect();
        for s in sessions {
            s.send(CastCommand::Stop);
            tokio::task::spawn_blocking(move || s.close()).await.ok();
        }
        self.server.shutdown();
        self.engine.shutdown().await;
    }
}

fn hash(id: &str) -> Result<InfoHash> {
    InfoHash::parse(id)
}

fn page_size(limit: Option<usize>) -> usize {
    limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

fn code(e: &Error) -> ErrorCode {
    match e {
        Error::InvalidMagnet(_)
        | Error::InvalidInfoHash(_)
        | Error::InvalidTorrent(_)
        | Error::UnsupportedSource(_)
        | Error::Fetch { .. }
        | Error::ReadFile { .. }
        | Error::NoMediaFile(_)
        | Error::Metadata { .. } => ErrorCode::InvalidSource,
        Error::MetadataTimeout { .. } => ErrorCode::Timeout,
        Error::UnknownTorrent(_)
        | Error::NoSuchFile { .. }
        | Error::UnknownDevice { .. }
        | Error::NoDevice
        | Error::AmbiguousDevice(_) => ErrorCode::NotFound,
        Error::Cast(_) | Error::Discovery(_) => ErrorCode::Cast,
        Error::BadRequest(_) => ErrorCode::BadRequest,
        Error::NoSpace { .. } | Error::CacheFull { .. } => ErrorCode::NoSpace,
        Error::Media(_) => ErrorCode::Unplayable,
        _ => ErrorCode::Internal,
    }
}
