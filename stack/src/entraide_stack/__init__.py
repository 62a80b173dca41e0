"""Launcher of the embedded Entraide stack (``python -m entraide_stack up``)."""

from .config import StackConfig
from .registry import SERVICES, ServiceSpec, installed_services, service
from .stack import Stack, StackError

__all__ = [
    "SERVICES",
    "ServiceSpec",
    "Stack",
    "StackConfig",
    "StackError",
    "installed_services",
    "service",
]
