"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it is sent.

`FakeSMTP()` picks a free port once and keeps it, so `stop()` then `start()` is a mail server
that goes down and comes back at the same address (what the retry tests need). Messages
arrive as `Received` (envelope sender and recipients, the parsed message, and its bytes as they
came over the wire), in `messages`, in order of arrival. An address put in `refused` is refused
at RCPT, with a reply quoting it, as real servers do for a mailbox that does not exist.
"""

import email
import email.policy
import logging
import threading
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from devtools.stack import free_port

HOST = "127.0.0.1"
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO.


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes  # as it came over the wire

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        """The plain-text body, with the wire's CRLF line ends turned back into newlines."""
        return self.message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


class _Handler:
    def __init__(self, fake):
        self.fake = fake

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.fake.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.fake._lock:
            self.fake.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message, envelope.original_content)
            )
        return "250 Message accepted for delivery"


class FakeSMTP:
    def __init__(self):
        self.host, self.port = HOST, free_port()
        self.messages: list[Received] = []
        self.refused: set[str] = set()
        self._lock = threading.Lock()
        self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self):
        if not self.running:
            self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self):
        if self.running:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope includes `address`."""
        return [received for received in self.messages if address in received.rcpt_tos]
