"""libtorrent 2.0 as one side of swarm's download bench, on 127.0.0.1 over TCP only.

  lt_bench.py seed  --torrent T --save DIR       check the data, then serve until stopped
  lt_bench.py leech --torrent T --save DIR --peer PORT [--peer PORT ...]
                                                 download, exit 0 as soon as it is complete

One JSON object per line on stdout:
  {"event": "listening", "port": N}
  {"event": "seeding", "seconds": S}     seed: the data is checked and served from now on
  {"event": "finished", "seconds": S}    leech: every piece downloaded and hash-checked
  {"event": "error", "message": M}       then exit 3 (torrent error) or 4 (--timeout)
  {"event": "rusage", "cpu": S, "maxrss_kib": K}   last line: this process's own figures,
                                                   after the session has shut down
It stops on SIGTERM/SIGINT or when stdin closes, so a bench that dies leaves nothing behind.
The leecher reacts to libtorrent's torrent_finished alert, not to a status poll, so its
exit is not delayed by a polling interval.
"""
import argparse
import json
import os
import resource
import select
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "py"))
from lt_loopback import StopFlag, loopback_session  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["seed", "leech"])
parser.add_argument("--torrent", required=True)
parser.add_argument("--save", required=True)
parser.add_argument("--peer", type=int, action="append", default=[], help="dial 127.0.0.1:PORT")
parser.add_argument("--timeout", type=float, default=600.0)
args = parser.parse_args()

start = time.monotonic()
stop = StopFlag()


def emit(event, **extra):
    print(json.dumps({"event": event, **extra}), flush=True)


def stdin_closed():
    ready, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(ready) and not os.read(sys.stdin.fileno(), 4096)


cat = lt.alert.category_t
session = loopback_session(cat.error_notification | cat.status_notification)
handle = session.add_torrent({"ti": lt.torrent_info(args.torrent), "save_path": args.save})
emit("listening", port=session.listen_port())

code = 0
dialled = False
done = False
announced = False
while not stop.set:
    session.wait_for_alert(100)
    for a in session.pop_alerts():
        if isinstance(a, lt.torrent_finished_alert):
            done = True
        elif a.category() & cat.error_notification:
            emit("alert", message=a.message())
    s = handle.status()
    if s.errc.value() != 0:
        emit("error", message=s.errc.message())
        code = 3
        break
    if not dialled and s.state not in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data):
        # dial once checked, so the other side sees our real bitfield
        for p in args.peer:
            handle.connect_peer(("127.0.0.1", p))
        dialled = True
    done = done or s.is_seeding
    if done and args.mode == "seed" and not announced:
        announced = True
        emit("seeding", seconds=time.monotonic() - start)
    if done and args.mode == "leech":
        emit("finished", seconds=time.monotonic() - start)
        break
    if time.monotonic() - start > args.timeout:
        emit("error", message="timed out after %.0f s" % args.timeout)
        code = 4
        break
    if stdin_closed():
        break

# the session's destructor waits for libtorrent to shut down: part of the run, like swarm's own exit
del handle
del session
ru = resource.getrusage(resource.RUSAGE_SELF)
emit("rusage", cpu=ru.ru_utime + ru.ru_stime, maxrss_kib=ru.ru_maxrss)
sys.exit(code)
