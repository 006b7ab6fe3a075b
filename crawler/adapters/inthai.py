"""inthai.info hosted LAO platform."""
from crawler.adapters.base import Marker, PlatformAdapter


class InthaiAdapter(PlatformAdapter):
    """inthai.info: one menu page per OIT topic plus an ITA menu page; the link walk finds them."""

    name = "inthai"
    markers = [Marker.asset("inthai.info", 3), Marker.asset("/eservice/manual/", 1), Marker.generator("inthai")]
