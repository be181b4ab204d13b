//! Network namespaces the tests create (as root), joined by veth pairs, so traffic crosses a real
//! (virtual) link and multicast stays inside the test. Removed on drop.

use std::net::Ipv4Addr;
use std::process::Command;

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

pub fn available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    root && ip(&["-V"])
}

pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Self {
        let name = format!("mc-{tag}-{}", std::process::id() % 100_000);
        assert!(ip(&["netns", "add", &name]), "ip netns add {name}");
        assert!(ip(&["-n", &name, "link", "set", "lo", "up"]));
        Self { name }
    }

    pub fn exec(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    pub fn exec_tokio(&self, program: impl AsRef<std::ffi::OsStr>) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("ip");
        c.args(["netns", "exec", &self.name])
            .arg(program)
            .kill_on_drop(true);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        ip(&["netns", "del", &self.name]);
    }
}

/// A veth pair: end `a` in namespace `a` (or the host when `None`), end `b` in `b`, a /30 between.
pub struct Veth {
    a_if: String,
    a_ns: Option<String>,
}

impl Veth {
    pub fn new(tag: &str, a: Option<&Netns>, a_ip: Ipv4Addr, b: &Netns, b_ip: Ipv4Addr) -> Self {
        let n = std::process::id() % 100_000;
        let (a_if, b_if) = (format!("{tag}{n}a"), format!("{tag}{n}b"));
        let in_ns = |ns: Option<&Netns>, args: &[&str]| match ns {
            Some(ns) => ip(&[&["-n", ns.name.as_str()], args].concat()),
            None => ip(args),
        };
        let ok = ip(&["link", "add", &a_if, "type", "veth", "peer", "name", &b_if])
            && a.is_none_or(|ns| ip(&["link", "set", &a_if, "netns", &ns.name]))
            && ip(&["link", "set", &b_if, "netns", &b.name])
            && in_ns(a, &["addr", "add", &format!("{a_ip}/30"), "dev", &a_if])
            && in_ns(a, &["link", "set", &a_if, "up"])
            && in_ns(
                Some(b),
                &["addr", "add", &format!("{b_ip}/30"), "dev", &b_if],
            )
            && in_ns(Some(b), &["link", "set", &b_if, "up"]);
        assert!(ok, "could not create veth {a_if}/{b_if}");
        let veth = Self {
            a_if,
            a_ns: a.map(|ns| ns.name.clone()),
        };
        if a.is_none() {
            // Never send a packet anywhere but our own veth: check the route first.
            let route = Command::new("ip")
                .args(["route", "get", &b_ip.to_string()])
                .output()
                .unwrap();
            let route = String::from_utf8_lossy(&route.stdout);
            assert!(
                route.contains(&format!("dev {}", veth.a_if)),
                "route to the test host leaves the veth: {route}"
            );
        }
        veth
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        match &self.a_ns {
            Some(ns) => ip(&["-n", ns, "link", "del", &self.a_if]),
            None => ip(&["link", "del", &self.a_if]),
        };
    }
}
