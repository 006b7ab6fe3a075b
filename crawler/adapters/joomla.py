"""Joomla LAO sites."""
from crawler.adapters.base import Marker, PlatformAdapter


class JoomlaAdapter(PlatformAdapter):
    """Joomla: articles under index.php routes; the site search lists articles naming ITA/OIT."""

    name = "joomla"
    markers = [Marker.generator("joomla"), Marker.asset("/media/jui/", 3), Marker.asset("/components/com_", 2),
               Marker.asset("option=com_", 2), Marker.asset("/media/system/js/", 1)]
    entry_paths = ["index.php?option=com_search&searchword=ita"]
