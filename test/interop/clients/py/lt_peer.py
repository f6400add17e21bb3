"""A libtorrent peer for swarm's interop tests: seeds or downloads one torrent on 127.0.0.1.

Prints one JSON object per line on stdout:
  {"event": "listening", "port": N}
  {"event": "status", ...}      every --every seconds
  {"event": "seeding", ...}     once the data is complete and checked
  {"event": "stopped", ...}     last line, on SIGTERM, stdin closing, or --timeout
Leech mode (no --seed) exits 0 on its own once the download is complete.
It exits when stdin closes, so a test runner that dies cannot leave it behind.
"""
import argparse
import json
import os
import select
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "py"))
from lt_loopback import StopFlag, loopback_session  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--torrent", required=True)
parser.add_argument("--save", required=True, help="save path (the data folder for a seeder)")
parser.add_argument("--seed", action="store_true", help="expect complete data and keep seeding")
parser.add_argument("--peer", type=int, action="append", default=[], help="dial 127.0.0.1:PORT (repeatable)")
parser.add_argument("--upload-limit", type=int, default=0, help="bytes per second, 0 = none")
parser.add_argument("--download-limit", type=int, default=0, help="bytes per second, 0 = none")
parser.add_argument("--encryption", choices=["default", "rc4"], default="default",
                    help="rc4: MSE with RC4 on every byte, both ways, or no connection")
parser.add_argument("--every", type=float, default=0.5)
parser.add_argument("--timeout", type=float, default=300.0)
args = parser.parse_args()

stop = StopFlag()


def pause(seconds):
    """Sleeps, but wakes up and stops when stdin reaches its end."""
    ready, _, _ = select.select([sys.stdin], [], [], seconds)
    if ready and not os.read(sys.stdin.fileno(), 4096):
        stop.set = True

session = loopback_session(lt.alert.category_t.error_notification | lt.alert.category_t.peer_notification)

if args.encryption == "rc4":
    session.apply_settings({
        "out_enc_policy": lt.enc_policy.pe_forced,
        "in_enc_policy": lt.enc_policy.pe_forced,
        "allowed_enc_level": lt.enc_level.pe_rc4,
    })

info = lt.torrent_info(args.torrent)
handle = session.add_torrent({"ti": info, "save_path": args.save})
if args.upload_limit:
    # a torrent's own limit: the session-wide one exempts local peers, and every peer here is local
    handle.set_upload_limit(args.upload_limit)
if args.download_limit:
    handle.set_download_limit(args.download_limit)


def emit(event, **extra):
    print(json.dumps({"event": event, **extra}), flush=True)


def status():
    s = handle.status()
    peers = []
    for p in handle.get_peer_info():
        peers.append({
            "ip": p.ip[0],
            "port": p.ip[1],
            "client": p.client.decode("latin1") if isinstance(p.client, bytes) else str(p.client),
            "up": p.total_upload,
            "down": p.total_download,
            # how the connection was made: MSE with RC4, MSE then plain bytes, or plain
            "enc": "rc4" if p.flags & lt.peer_info.rc4_encrypted
            else "plaintext" if p.flags & lt.peer_info.plaintext_encrypted else "none",
        })
    return {
        "state": str(s.state),
        "progress": s.progress,
        "done": s.total_wanted_done,
        "wanted": s.total_wanted,
        "uploaded": s.total_payload_upload,
        "downloaded": s.total_payload_download,
        "failed": s.total_failed_bytes,
        "connections": s.num_connections,
        "peers": peers,
    }


deadline = time.monotonic() + args.timeout
port = session.listen_port()
emit("listening", port=port)

errors = []
announced_seeding = False
dialled = False
code = 0
while not stop.set:
    for a in session.pop_alerts():
        if a.category() & lt.alert.category_t.error_notification:
            errors.append(a.message())
            emit("alert", message=a.message())
    s = handle.status()
    if s.errc.value() != 0:
        emit("error", message=s.errc.message())
        code = 3
        break
    checking = s.state in (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
    if not checking and not dialled:
        # dial only once the data is checked, so the other side sees our real bitfield
        for p in args.peer:
            handle.connect_peer(("127.0.0.1", p))
        dialled = True
    if s.is_seeding and not announced_seeding:
        announced_seeding = True
        emit("seeding", **status())
        if not args.seed:
            break
    emit("status", **status())
    if time.monotonic() > deadline:
        emit("error", message="timed out after %.0f s" % args.timeout)
        code = 4
        break
    pause(args.every)

emit("stopped", **status())
sys.stdout.flush()
# a seeder expected complete data: finishing without it is a failure
if args.seed and not announced_seeding and code == 0:
    code = 5
sys.exit(code)
