"""WordPress LAO sites."""
from crawler.adapters.base import Marker, PlatformAdapter


class WordPressAdapter(PlatformAdapter):
    """WordPress: OIT items are posts/pages; the site search lists posts naming ITA/OIT."""

    name = "wordpress"
    markers = [Marker.generator("wordpress"), Marker.asset("/wp-content/", 3), Marker.asset("/wp-includes/", 2),
               Marker.asset("wp-json", 1)]
    entry_paths = ["?s=ita", "?s=oit"]
