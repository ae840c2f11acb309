#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests: Python's smtpd (Debian 12's python3.11).

    smtp_peer.py PORT DIR

Each message accepted is written to DIR/NNNN.eml (the envelope's "MAIL FROM" and "RCPT TO"
lines, a blank line, then the message exactly as received). A recipient whose address starts
with "bounce" is refused for good (550); one starting with "later" is refused for now (451)
the first time it is tried. DIR/ready appears once the port is open; serves until killed.
"""
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asyncore  # noqa: E402
import smtpd  # noqa: E402


class Peer(smtpd.SMTPServer):
    def __init__(self, port, folder):
        super().__init__(("127.0.0.1", port), None, decode_data=False)
        self.folder = folder
        self.count = 0
        self.deferred = set()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        for rcpt in rcpttos:
            if rcpt.startswith("bounce"):
                return "550 5.1.1 No such mailbox"
            if rcpt.startswith("later") and rcpt not in self.deferred:
                self.deferred.add(rcpt)
                return "451 4.3.0 Try again later"
        self.count += 1
        name = os.path.join(self.folder, "%04d.eml" % self.count)
        with open(name + ".tmp", "wb") as f:
            f.write(b"MAIL FROM: " + mailfrom.encode() + b"\n")
            for rcpt in rcpttos:
                f.write(b"RCPT TO: " + rcpt.encode() + b"\n")
            f.write(b"\n" + data)
        os.rename(name + ".tmp", name)
        return None


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    Peer(port, folder)
    open(os.path.join(folder, "ready"), "w").close()
    asyncore.loop(timeout=0.2)


if __name__ == "__main__":
    main()
