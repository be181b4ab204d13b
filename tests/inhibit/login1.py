#!/usr/bin/python3
"""A fake systemd-logind (and freedesktop screensaver) that records sleep inhibitors.

It answers exactly what the `keepawake` crate calls on Linux (keepawake 0.6, src/sys/linux.rs):

  system bus  org.freedesktop.login1  /org/freedesktop/login1  org.freedesktop.login1.Manager
      Inhibit(s what, s who, s why, s mode) -> h      one call per "idle" / "sleep" inhibitor;
                                                      the lock is held while the client keeps
                                                      the returned file descriptor open
      ListInhibitors() -> a(ssssuu)                   what, who, why, mode, uid, pid (for tests)
  session bus org.freedesktop.ScreenSaver  /org/freedesktop/ScreenSaver  org.freedesktop.ScreenSaver
      Inhibit(s application_name, s reason) -> u      keepawake's display(true); held until
      UnInhibit(u cookie)                             UnInhibit or the client's disconnection

Both names are owned on the one bus given on the command line, so a test points both
DBUS_SYSTEM_BUS_ADDRESS and DBUS_SESSION_BUS_ADDRESS of the process under test at it.

Login1's Inhibit returns the write end of a fresh pipe and keeps only the read end: when every
copy of the write end is closed (keepawake drops the fd, or the process dies) the read end sees
end of file, and that is the release, as with the real logind.

Every event is appended to EVENTS as one JSON object per line (flushed at once):
  {"event": "ready", "address": A, "pid": P}          both names are owned; clients may call
  {"event": "taken", "interface": I, "id": N, "what": W, "who": WHO, "why": WHY, "mode": M,
   "sender": ":1.N", "pid": CLIENT_PID}
  {"event": "released", ...same fields..., "how": "closed" | "uninhibit" | "disconnected"}
For org.freedesktop.ScreenSaver, "what" is "screensaver", "who" the application name, "why" the
reason, "mode" null and "cookie" the cookie returned.

Usage: login1.py ADDRESS EVENTS
  ADDRESS  a D-Bus address, e.g. the line printed by the private bus started as
             dbus-daemon --config-file=tests/inhibit/bus.conf --address=unix:path=$DIR/bus \\
                 --nofork --nopidfile --nosyslog --print-address=1
           (its first stdout line is the address, printed once it accepts connections)
  EVENTS   the file to append events to

Runs with Debian's /usr/bin/python3 and needs python3-dbus and python3-gi (GLib main loop). It
exits on SIGTERM/SIGINT or when the bus goes away.
"""
import json
import os
import signal
import sys

import dbus
import dbus.bus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

LOGIN1_NAME = "org.freedesktop.login1"
LOGIN1_PATH = "/org/freedesktop/login1"
LOGIN1_IFACE = "org.freedesktop.login1.Manager"
SCREENSAVER_NAME = "org.freedesktop.ScreenSaver"
SCREENSAVER_PATH = "/org/freedesktop/ScreenSaver"
SCREENSAVER_IFACE = "org.freedesktop.ScreenSaver"


class Recorder:
    def __init__(self, path):
        self.file = open(path, "a", buffering=1, encoding="utf-8")

    def __call__(self, **event):
        self.file.write(json.dumps(event, sort_keys=False) + "\n")
        self.file.flush()


def caller_pid(bus, sender):
    try:
        return int(bus.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                     "s", (sender,)))
    except dbus.DBusException:
        return None


class Login1(dbus.service.Object):
    def __init__(self, bus, record):
        super().__init__(bus, LOGIN1_PATH)
        self.bus = bus
        self.record = record
        self.next_id = 1
        self.held = {}  # id -> (event dict, read fd, GLib source id)

    @dbus.service.method(LOGIN1_IFACE, in_signature="ssss", out_signature="h",
                         sender_keyword="sender", async_callbacks=("reply", "error"))
    def Inhibit(self, what, who, why, mode, sender=None, reply=None, error=None):
        if mode not in ("block", "delay", "block-weak"):
            error(dbus.DBusException("invalid mode " + str(mode),
                                     name="org.freedesktop.DBus.Error.InvalidArgs"))
            return
        read_end, write_end = os.pipe()
        ident = self.next_id
        self.next_id += 1
        event = {"interface": LOGIN1_IFACE, "id": ident, "what": str(what), "who": str(who),
                 "why": str(why), "mode": str(mode), "sender": str(sender),
                 "pid": caller_pid(self.bus, sender)}
        watch = GLib.io_add_watch(read_end, GLib.PRIORITY_DEFAULT,
                                  GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR,
                                  self._closed, ident)
        self.held[ident] = (event, read_end, watch)
        self.record(event="taken", **event)
        # UnixFd keeps its own dup; the reply message gets another. Close both of ours right after
        # sending so that the client's copy is the only write end left.
        fd = dbus.types.UnixFd(write_end)
        os.close(write_end)
        reply(fd)
        os.close(fd.take())

    def _closed(self, read_end, condition, ident):
        try:
            data = os.read(read_end, 4096)
        except OSError:
            data = b""
        if data:  # somebody wrote to the pipe: not a release, keep watching
            return True
        event, fd, _ = self.held.pop(ident)
        os.close(fd)
        self.record(event="released", how="closed", **event)
        return False

    @dbus.service.method(LOGIN1_IFACE, in_signature="", out_signature="a(ssssuu)")
    def ListInhibitors(self):
        return dbus.Array([(e["what"], e["who"], e["why"], e["mode"], dbus.UInt32(0),
                            dbus.UInt32(e["pid"] or 0)) for e, _, _ in self.held.values()],
                          signature="(ssssuu)")


class ScreenSaver(dbus.service.Object):
    def __init__(self, bus, record):
        super().__init__(bus, SCREENSAVER_PATH)
        self.bus = bus
        self.record = record
        self.next_cookie = 1
        self.held = {}  # cookie -> event dict
        bus.add_signal_receiver(self._owner_changed, "NameOwnerChanged", "org.freedesktop.DBus",
                                "org.freedesktop.DBus", "/org/freedesktop/DBus")

    @dbus.service.method(SCREENSAVER_IFACE, in_signature="ss", out_signature="u",
                         sender_keyword="sender")
    def Inhibit(self, application_name, reason, sender=None):
        cookie = self.next_cookie
        self.next_cookie += 1
        event = {"interface": SCREENSAVER_IFACE, "id": cookie, "cookie": cookie,
                 "what": "screensaver", "who": str(application_name), "why": str(reason),
                 "mode": None, "sender": str(sender), "pid": caller_pid(self.bus, sender)}
        self.held[cookie] = event
        self.record(event="taken", **event)
        return dbus.UInt32(cookie)

    @dbus.service.method(SCREENSAVER_IFACE, in_signature="u", out_signature="",
                         sender_keyword="sender")
    def UnInhibit(self, cookie, sender=None):
        event = self.held.get(int(cookie))
        if event is None or event["sender"] != str(sender):
            raise dbus.DBusException("no such inhibitor " + str(cookie),
                                     name="org.freedesktop.DBus.Error.InvalidArgs")
        del self.held[int(cookie)]
        self.record(event="released", how="uninhibit", **event)

    def _owner_changed(self, name, old_owner, new_owner):
        if not name.startswith(":") or new_owner:
            return
        for cookie in [c for c, e in self.held.items() if e["sender"] == name]:
            event = self.held.pop(cookie)
            self.record(event="released", how="disconnected", **event)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    address, events = sys.argv[1], sys.argv[2]
    record = Recorder(events)

    DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    bus = dbus.bus.BusConnection(address)
    bus.set_exit_on_disconnect(False)
    bus.add_signal_receiver(lambda *_: loop.quit(), "Disconnected", "org.freedesktop.DBus.Local",
                            path="/org/freedesktop/DBus/Local")

    objects = [Login1(bus, record), ScreenSaver(bus, record)]
    names = [dbus.service.BusName(n, bus, do_not_queue=True)
             for n in (LOGIN1_NAME, SCREENSAVER_NAME)]

    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda: loop.quit() or False)

    record(event="ready", address=address, pid=os.getpid())
    loop.run()
    record.file.close()
    # Skip the destructors: BusName would try to release its name on a bus that may be gone.
    os._exit(0)


if __name__ == "__main__":
    main()
