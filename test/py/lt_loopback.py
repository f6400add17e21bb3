"""What every libtorrent peer in swarm's tests and benches shares: a session that stays on
127.0.0.1, speaks TCP only, and stops cleanly on SIGTERM or SIGINT.

Scripts elsewhere under test/ add this folder to sys.path and import it.
"""
import signal

import libtorrent as lt


def loopback_session(alert_mask):
    """A libtorrent session on 127.0.0.1 (any port), with nothing that reaches out."""
    return lt.session({
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # every test peer shares 127.0.0.1
        "allow_multiple_connections_per_ip": True,
        # TCP only: uTP on loopback crawls, and swarm has none
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "alert_mask": alert_mask,
    })


class StopFlag:
    """Set by SIGTERM or SIGINT; the script's loop checks it and exits cleanly."""

    def __init__(self):
        self.set = False
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, *_):
        self.set = True
