"""A real SMTP server for the tests (aiosmtpd): every message it accepts is
written to DIR as one file, the envelope's recipients first (one
`X-Envelope-To:` line each), then the message as received.

    python smtp_sink.py --port 2525 --dir /tmp/mail

Prints "ready" once it listens; stops on SIGTERM.
"""
import argparse
import asyncio
import itertools
import os
import signal

from aiosmtpd.controller import Controller

counter = itertools.count()


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        n = next(counter)
        name = f"{os.getpid()}-{n:06d}.eml"
        head = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos)
        body = envelope.original_content or envelope.content
        if isinstance(body, str):
            body = body.encode()
        tmp = os.path.join(self.directory, "." + name)
        with open(tmp, "wb") as f:
            f.write(head.encode() + body)
        # Whole files only: a reader never sees half a message.
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    loop.run_until_complete(stop)
    controller.stop()


if __name__ == "__main__":
    main()
