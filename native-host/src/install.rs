//! `magnetcast install` / `uninstall`: the native-messaging host manifests that let the browsers
//! start us, rendered from `manifests/` and written where each browser looks (files on Linux and
//! macOS, HKCU registry keys pointing at a file on Windows). What was written is recorded, and
//! `uninstall` removes exactly that.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::paths::Paths;

pub const HOST_NAME: &str = "org.magnetcast.host";
/// Pinned by the `key` in the Chrome manifest (`extension/manifest-key.txt`).
pub const CHROME_EXTENSION_IDS: &[&str] = &["phdoiealkcpenjnalbnfnaihbekbpehd"];
pub const FIREFOX_ADDON_ID: &str = "magnetcast@magnetcast.org";

const CHROME_TEMPLATE: &str = include_str!("../../manifests/chrome.json");
const FIREFOX_TEMPLATE: &str = include_str!("../../manifests/firefox.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Browser {
    Chrome,
    Chromium,
    Edge,
    Brave,
    Vivaldi,
    Firefox,
}

impl Browser {
    pub const ALL: [Browser; 6] = [
        Self::Chrome,
        Self::Chromium,
        Self::Edge,
        Self::Brave,
        Self::Vivaldi,
        Self::Firefox,
    ];

    fn is_firefox(self) -> bool {
        self == Self::Firefox
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(windows) {
            Self::Windows
        } else {
            Self::Linux
        }
    }
}

/// Where a browser looks for host manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    /// Windows: a registry key under HKCU (or HKLM) whose default value is the manifest's path.
    Registry(String),
}

/// The path table. `home` is the user's home folder; `system` means for every user.
pub fn location(os: Os, browser: Browser, system: bool, home: &Path) -> Location {
    use Browser::*;
    match os {
        Os::Linux => Location::Dir(match (browser, system) {
            (Chrome, false) => home.join(".config/google-chrome/NativeMessagingHosts"),
            (Chromium, false) => home.join(".config/chromium/NativeMessagingHosts"),
            (Edge, false) => home.join(".config/microsoft-edge/NativeMessagingHosts"),
            (Brave, false) => home.join(".config/BraveSoftware/Brave-Browser/NativeMessagingHosts"),
            (Vivaldi, false) => home.join(".config/vivaldi/NativeMessagingHosts"),
            (Firefox, false) => home.join(".mozilla/native-messaging-hosts"),
            (Chrome, true) => "/etc/opt/chrome/native-messaging-hosts".into(),
            (Chromium, true) => "/etc/chromium/native-messaging-hosts".into(),
            (Edge, true) => "/etc/opt/edge/native-messaging-hosts".into(),
            (Brave, true) => "/etc/opt/brave.com/brave/native-messaging-hosts".into(),
            (Vivaldi, true) => "/etc/opt/vivaldi/native-messaging-hosts".into(),
            (Firefox, true) => "/usr/lib/mozilla/native-messaging-hosts".into(),
        }),
        Os::MacOs => {
            let base = if system {
                PathBuf::from("/Library")
            } else {
                home.join("Library")
            };
            Location::Dir(match (browser, system) {
                (Chrome, false) => {
                    base.join("Application Support/Google/Chrome/NativeMessagingHosts")
                }
                (Chrome, true) => base.join("Google/Chrome/NativeMessagingHosts"),
                (Chromium, _) => base.join("Application Support/Chromium/NativeMessagingHosts"),
                (Edge, false) => {
                    base.join("Application Support/Microsoft Edge/NativeMessagingHosts")
                }
                (Edge, true) => base.join("Microsoft/Edge/NativeMessagingHosts"),
                (Brave, _) => base
                    .join("Application Support/BraveSoftware/Brave-Browser/NativeMessagingHosts"),
                (Vivaldi, _) => base.join("Application Support/Vivaldi/NativeMessagingHosts"),
                (Firefox, _) => base.join("Application Support/Mozilla/NativeMessagingHosts"),
            })
        }
        Os::Windows => {
            let hive = if system { "HKLM" } else { "HKCU" };
            let vendor = match browser {
                Chrome => "Google\\Chrome",
                Chromium => "Chromium",
                Edge => "Microsoft\\Edge",
                Brave => "BraveSoftware\\Brave-Browser",
                Vivaldi => "Vivaldi",
                Firefox => "Mozilla",
            };
            Location::Registry(format!(
                "{hive}\\Software\\{vendor}\\NativeMessagingHosts\\{HOST_NAME}"
            ))
        }
    }
}

/// The manifest text for `browser`, pointing at `binary`.
pub fn render(browser: Browser, binary: &Path) -> String {
    let path = serde_json::to_string(&binary.to_string_lossy()).expect("string");
    let path = &path[1..path.len() - 1];
    if browser.is_firefox() {
        FIREFOX_TEMPLATE.replace("{{path}}", path).replace(
            "{{allowed_extensions}}",
            &serde_json::to_string(&[FIREFOX_ADDON_ID]).expect("ids"),
        )
    } else {
        let origins: Vec<String> = CHROME_EXTENSION_IDS
            .iter()
            .map(|id| format!("chrome-extension://{id}/"))
            .collect();
        CHROME_TEMPLATE.replace("{{path}}", path).replace(
            "{{allowed_origins}}",
            &serde_json::to_string(&origins).expect("origins"),
        )
    }
}

/// What `install` wrote, for `uninstall`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Record {
    pub files: Vec<PathBuf>,
    pub registry_keys: Vec<String>,
}

fn record_path(paths: &Paths) -> PathBuf {
    paths.data_dir.join("installed.json")
}

fn load_record(paths: &Paths) -> Record {
    std::fs::read(record_path(paths))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes the manifests; returns one line per thing written.
pub fn install(
    paths: &Paths,
    browsers: &[Browser],
    dir: Option<&Path>,
    system: bool,
) -> Result<Vec<String>> {
    let binary = std::env::current_exe()?.canonicalize()?;
    let home = directories::BaseDirs::new()
        .ok_or(Error::NoHomeDir)?
        .home_dir()
        .to_path_buf();
    let mut record = load_record(paths);
    let mut said = Vec::new();
    for &browser in browsers {
        let text = render(browser, &binary);
        let file_name = format!("{HOST_NAME}.json");
        let target = match dir {
            Some(d) => Location::Dir(d.to_path_buf()),
            None => location(Os::current(), browser, system, &home),
        };
        match target {
            Location::Dir(d) => {
                std::fs::create_dir_all(&d)?;
                let file = d.join(&file_name);
                std::fs::write(&file, &text)?;
                said.push(format!("{browser:?}: wrote {}", file.display()));
                if !record.files.contains(&file) {
                    record.files.push(file);
                }
            }
            Location::Registry(key) => {
                let folder = paths
                    .data_dir
                    .join("manifests")
                    .join(format!("{browser:?}").to_lowercase());
                std::fs::create_dir_all(&folder)?;
                let file = folder.join(&file_name);
                std::fs::write(&file, &text)?;
                registry::set(&key, &file)?;
                said.push(format!(
                    "{browser:?}: wrote {} and registry key {key}",
                    file.display()
                ));
                record.files.push(file);
                record.registry_keys.push(key);
            }
        }
    }
    std::fs::create_dir_all(&paths.data_dir)?;
    std::fs::write(record_path(paths), serde_json::to_vec_pretty(&record)?)?;
    Ok(said)
}

/// Removes exactly what `install` recorded.
pub fn uninstall(paths: &Paths) -> Result<Vec<String>> {
    let record = load_record(paths);
    let mut said = Vec::new();
    for file in &record.files {
        match std::fs::remove_file(file) {
            Ok(()) => said.push(format!("removed {}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    for key in &record.registry_keys {
        registry::remove(key)?;
        said.push(format!("removed registry key {key}"));
    }
    let _ = std::fs::remove_file(record_path(paths));
    if said.is_empty() {
        said.push("nothing to remove".into());
    }
    Ok(said)
}

#[cfg(windows)]
mod registry {
    use std::path::Path;

    use winreg::RegKey;
    use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};

    fn split(key: &str) -> (RegKey, &str) {
        let (hive, rest) = key.split_once('\\').expect("hive\\path");
        let root = if hive == "HKLM" {
            HKEY_LOCAL_MACHINE
        } else {
            HKEY_CURRENT_USER
        };
        (RegKey::predef(root), rest)
    }

    pub fn set(key: &str, manifest: &Path) -> std::io::Result<()> {
        let (root, path) = split(key);
        let (k, _) = root.create_subkey(path)?;
        k.set_value("", &manifest.to_string_lossy().to_string())
    }

    pub fn remove(key: &str) -> std::io::Result<()> {
        let (root, path) = split(key);
        root.delete_subkey_all(path)
    }
}

#[cfg(not(windows))]
mod registry {
    use std::path::Path;

    pub fn set(key: &str, _manifest: &Path) -> std::io::Result<()> {
        Err(std::io::Error::other(format!(
            "registry key {key}: only on Windows"
        )))
    }

    pub fn remove(_key: &str) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_table_covers_every_browser_on_every_os() {
        let home = Path::new("/home/ann");
        let dir = |os, b, sys| match location(os, b, sys, home) {
            Location::Dir(d) => d.to_string_lossy().into_owned(),
            Location::Registry(k) => k,
        };
        assert_eq!(
            dir(Os::Linux, Browser::Chrome, false),
            "/home/ann/.config/google-chrome/NativeMessagingHosts"
        );
        assert_eq!(
            dir(Os::Linux, Browser::Chromium, false),
            "/home/ann/.config/chromium/NativeMessagingHosts"
        );
        assert_eq!(
            dir(Os::Linux, Browser::Firefox, false),
            "/home/ann/.mozilla/native-messaging-hosts"
        );
        assert_eq!(
            dir(Os::Linux, Browser::Firefox, true),
            "/usr/lib/mozilla/native-messaging-hosts"
        );
        assert_eq!(
            dir(Os::MacOs, Browser::Chrome, false),
            "/home/ann/Library/Application Support/Google/Chrome/NativeMessagingHosts"
        );
        assert_eq!(
            dir(Os::MacOs, Browser::Firefox, true),
            "/Library/Application Support/Mozilla/NativeMessagingHosts"
        );
        assert_eq!(
            dir(Os::Windows, Browser::Edge, false),
            "HKCU\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\org.magnetcast.host"
        );
        assert_eq!(
            dir(Os::Windows, Browser::Firefox, true),
            "HKLM\\Software\\Mozilla\\NativeMessagingHosts\\org.magnetcast.host"
        );
        for os in [Os::Linux, Os::MacOs, Os::Windows] {
            for sys in [false, true] {
                let all: std::collections::HashSet<_> =
                    Browser::ALL.iter().map(|&b| dir(os, b, sys)).collect();
                assert_eq!(
                    all.len(),
                    Browser::ALL.len(),
                    "{os:?} system={sys}: browsers share a location"
                );
            }
        }
    }

    #[test]
    fn manifests_are_valid_json_with_the_pinned_ids() {
        let bin = Path::new("/opt/magnet \"cast\"/magnetcast");
        let chrome: serde_json::Value =
            serde_json::from_str(&render(Browser::Chrome, bin)).unwrap();
        assert_eq!(chrome["name"], HOST_NAME);
        assert_eq!(chrome["path"], "/opt/magnet \"cast\"/magnetcast");
        assert_eq!(chrome["type"], "stdio");
        assert_eq!(
            chrome["allowed_origins"][0],
            "chrome-extension://phdoiealkcpenjnalbnfnaihbekbpehd/"
        );
        let firefox: serde_json::Value =
            serde_json::from_str(&render(Browser::Firefox, bin)).unwrap();
        assert_eq!(firefox["allowed_extensions"][0], FIREFOX_ADDON_ID);
        assert!(firefox.get("allowed_origins").is_none());
    }
}
