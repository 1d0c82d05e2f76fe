import enum
from dataclasses import dataclass


class Status(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass
class Ticket:
    """A support ticket (CRLF file)."""

    title: str
    email: str
    status: Status = Status.OPEN
    priority: int | None = None
