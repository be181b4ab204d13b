//! Where magnetcast keeps its files. `directories` gives each OS its usual places; a single
//! `home` folder (`MAGNETCAST_HOME` / `--home`) replaces all of them, for tests and portable use.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub runtime_dir: PathBuf,
    /// Where downloads go when `download_dir` is not configured.
    pub default_download_dir: PathBuf,
}

impl Paths {
    pub fn resolve(home: Option<&Path>) -> Result<Self> {
        if let Some(home) = home {
            return Ok(Self::under(home));
        }
        let dirs = directories::ProjectDirs::from("org", "magnetcast", "magnetcast")
            .ok_or(Error::NoHomeDir)?;
        let cache_dir = dirs.cache_dir().to_path_buf();
        let default_download_dir = directories::UserDirs::new()
            .and_then(|u| u.download_dir().map(|d| d.join("magnetcast")))
            .unwrap_or_else(|| dirs.data_dir().join("downloads"));
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            data_dir: dirs.data_dir().to_path_buf(),
            // Not every OS has a runtime dir (macOS, Windows): the cache dir is private too.
            runtime_dir: dirs
                .runtime_dir()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| cache_dir.join("run")),
            cache_dir,
            default_download_dir,
        })
    }

    pub fn under(home: &Path) -> Self {
        Self {
            config_dir: home.join("config"),
            data_dir: home.join("data"),
            cache_dir: home.join("cache"),
            runtime_dir: home.join("run"),
            default_download_dir: home.join("downloads"),
        }
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}
