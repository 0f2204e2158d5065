"""The road or intersection an address names, so records from different sources meet.

Accident records carry a street, appeals and incidents a free-text address ("福州路福建中路口",
"福州路与福建中路交叉口", "黄浦区福州路123号"). ``place_of`` reduces each to one key: the road's
name, or for two roads the intersection "A路 / B路" with the names sorted (so "A与B" and "B与A"
are the same corner). Pure: no database, no settings.
"""

from __future__ import annotations

import re

# Administrative prefixes ("上海市黄浦区", "南京东路街道") name an area, not a road.
_AREA = re.compile(r"^(?:[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|区|县))+|[\u4e00-\u9fff]{2,6}街道")
# Words that join two roads of a corner.
_JOINERS = re.compile(r"[与和及、/／,，;；\s]|交叉口|交汇处|交界处")
# A road name: Chinese characters ending in a road word; the shortest such run, so two roads
# written together ("福州路福建中路口") come apart.
_ROAD = re.compile(r"[\u4e00-\u9fff]+?(?:大道|大街|公路|高架路|高架|路|街|巷|弄)")


def roads_in(address: str) -> list[str]:
    """The road names of an address, in order, each once."""
    text = _AREA.sub("", address.strip())
    found: list[str] = []
    for part in _JOINERS.split(text):
        for name in _ROAD.findall(part):
            if len(name) >= 2 and name not in found:
                found.append(name)
    return found


def place_of(address: str) -> str:
    """One road ("福州路"), an intersection ("福州路 / 福建中路"), or "" when no road is named."""
    roads = roads_in(address)
    if not roads:
        return ""
    if len(roads) == 1:
        return roads[0]
    return " / ".join(sorted(roads[:2]))


__all__ = ["place_of", "roads_in"]
