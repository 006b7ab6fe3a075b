"""Any site: follow links, OIT-relevant ones first."""
from crawler.adapters.base import PlatformAdapter


class GenericAdapter(PlatformAdapter):
    """Fallback for custom PHP sites and unknown CMSs: the link walk alone."""

    name = "generic"
