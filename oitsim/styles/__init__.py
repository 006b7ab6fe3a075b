"""Site styles of the simulated LAO web, one module per real-world pattern."""

from __future__ import annotations

from importlib import import_module

#: style name -> "module:Class"
STYLE_CLASSES = {
    "assystem": "assystem:AsSystemSite",
    "inthai": "inthai:InthaiSite",
    "itatable": "itatable:ItaTableSite",
    "numbered": "numbered:NumberedSite",
    "wordpress": "wordpress:WordPressSite",
    "joomla": "joomla:JoomlaSite",
    "jsinject": "jsinject:JsInjectSite",
    "collapsetree": "collapsetree:CollapseTreeSite",
    "modal": "modal:ModalSite",
    "legacy": "legacy:LegacySite",
    "hijacked": "hijacked:HijackedSite",
    "stale": "stale:StaleSite",
    # held-out styles (oitsim/heldout.py only; never in the Mukdahan world)
    "yeartabs": "yeartabs:YearTabsSite",
    "postlist": "postlist:PostListSite",
    "subindicator": "subindicator:SubIndicatorSite",
    "iframehub": "iframehub:IframeHubSite",
}

_CACHE: dict[str, type] = {}


def site_class(style: str) -> type:
    cls = _CACHE.get(style)
    if cls is None:
        module, name = STYLE_CLASSES[style].split(":")
        cls = getattr(import_module(f"{__name__}.{module}"), name)
        _CACHE[style] = cls
    return cls


def build_site(spec):
    """Build the site object of a planned spec."""
    return site_class(spec.style)(spec)
