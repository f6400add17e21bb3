"""libtorrent as a peer that finds others only through a tracker (swarm's tracker tests).

No DHT, no local discovery, no peer hints: the torrent's tracker is its only source.
One JSON object per line on stdout: "listening", "tracker" (each reply or error from a
tracker), "seeding" (data complete), "stopped". A leecher exits 0 once complete; a
seeder seeds until SIGTERM, stdin closing or --timeout.
"""
import argparse
import json
import os
import select
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "py"))
from lt_loopback import StopFlag, loopback_session  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("torrent")
ap.add_argument("save")
ap.add_argument("--seed", action="store_true")
ap.add_argument("--timeout", type=float, default=60.0)
opts = ap.parse_args()

stop = StopFlag()


def out(what, **fields):
    sys.stdout.write(json.dumps(dict(event=what, **fields)) + "\n")
    sys.stdout.flush()


ses = loopback_session(lt.alert.category_t.tracker_notification | lt.alert.category_t.error_notification)
h = ses.add_torrent({"ti": lt.torrent_info(opts.torrent), "save_path": opts.save})
out("listening", port=ses.listen_port())

stop_at = time.monotonic() + opts.timeout
rc = 0
told_seeding = False
while not stop.set:
    for a in ses.pop_alerts():
        if isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert, lt.tracker_warning_alert, lt.tracker_announce_alert)):
            out("tracker", alert=type(a).__name__, message=a.message())
    st = h.status()
    if st.is_seeding and not told_seeding:
        told_seeding = True
        out("seeding", downloaded=st.total_payload_download, peers=st.num_peers)
        if not opts.seed:
            break
    if time.monotonic() > stop_at:
        out("error", message="timed out", progress=st.progress)
        rc = 4
        break
    # wake every 0.2 s; stop when the test runner closes our stdin
    r, _, _ = select.select([sys.stdin], [], [], 0.2)
    if r and not os.read(sys.stdin.fileno(), 1024):
        stop.set = True

out("stopped")
sys.exit(rc)
