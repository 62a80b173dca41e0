"""Events between services: the transactional outbox, its relay to JetStream,
durable consumers that keep read copies, and token revocation built on them.

See docs/architecture.md, "Events and read copies".
"""

from .consumer import ConsumerRunner, Subscription
from .envelope import Envelope, subject_for
from .outbox import Outbox

__all__ = ["ConsumerRunner", "Envelope", "Outbox", "Subscription", "subject_for"]
