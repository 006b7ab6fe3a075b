"""Platform adapters, one per CMS. Add a module and list its class here; no registry change needed."""
from __future__ import annotations

from crawler.adapters.assystem import AsSystemAdapter
from crawler.adapters.base import Marker, PlatformAdapter
from crawler.adapters.generic import GenericAdapter
from crawler.adapters.inthai import InthaiAdapter
from crawler.adapters.joomla import JoomlaAdapter
from crawler.adapters.wordpress import WordPressAdapter

ADAPTERS: dict[str, PlatformAdapter] = {
    a.name: a for a in (AsSystemAdapter(), InthaiAdapter(), WordPressAdapter(), JoomlaAdapter(), GenericAdapter())
}


def get_adapter(name: str) -> PlatformAdapter:
    """The adapter called `name`; KeyError when there is none."""
    return ADAPTERS[name]


__all__ = ["ADAPTERS", "Marker", "PlatformAdapter", "get_adapter"]
