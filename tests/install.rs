//! `magnetcast install` / `uninstall` under a temporary HOME, with the real binary.

#[path = "harness/mod.rs"]
mod harness;

use std::path::Path;

async fn run(home: &Path, args: &[&str]) -> String {
    let mut cmd = harness::magnetcast(&home.join("mc"));
    cmd.env("HOME", home).args(args);
    harness::stdout_of(cmd).await
}

#[tokio::test]
async fn install_writes_every_browsers_manifest_and_uninstall_removes_exactly_those() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    // Something of the user's next to ours must survive uninstall.
    let theirs = h.join(".config/chromium/NativeMessagingHosts/com.example.other.json");
    std::fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    std::fs::write(&theirs, "{}").unwrap();

    let said = run(h, &["install"]).await;
    let binary = Path::new(env!("CARGO_BIN_EXE_magnetcast"))
        .canonicalize()
        .unwrap();
    let expected = [
        ".config/google-chrome/NativeMessagingHosts",
        ".config/chromium/NativeMessagingHosts",
        ".config/microsoft-edge/NativeMessagingHosts",
        ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ".config/vivaldi/NativeMessagingHosts",
        ".mozilla/native-messaging-hosts",
    ];
    for dir in expected {
        let file = h.join(dir).join("org.magnetcast.host.json");
        assert!(said.contains(&file.display().to_string()), "{said}");
        let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(m["name"], "org.magnetcast.host");
        assert_eq!(m["path"], binary.to_str().unwrap());
        if dir.starts_with(".mozilla") {
            assert_eq!(m["allowed_extensions"][0], "magnetcast@magnetcast.org");
        } else {
            assert_eq!(
                m["allowed_origins"][0],
                "chrome-extension://phdoiealkcpenjnalbnfnaihbekbpehd/"
            );
        }
    }

    // --dir: a test profile's folder.
    let profile = h.join("profile/NativeMessagingHosts");
    run(
        h,
        &[
            "install",
            "--browser",
            "chromium",
            "--dir",
            profile.to_str().unwrap(),
        ],
    )
    .await;
    assert!(profile.join("org.magnetcast.host.json").exists());

    let said = run(h, &["uninstall"]).await;
    for dir in expected {
        assert!(
            !h.join(dir).join("org.magnetcast.host.json").exists(),
            "{dir} left behind"
        );
    }
    assert!(!profile.join("org.magnetcast.host.json").exists());
    assert!(theirs.exists(), "uninstall removed a file it did not write");
    assert_eq!(said.lines().count(), expected.len() + 1, "{said}");
    assert!(run(h, &["uninstall"]).await.contains("nothing to remove"));
}
