"""Graph analytics for association mapping (issue 7), pure Python with igraph and leidenalg: no Django.

The public API is everything imported here; the modules behind it are private.

* Model: :class:`Node` (an entity), :class:`Link` (a graded link), :class:`LinkGraph`, built with
  :func:`subgraph_visible` (a viewer's part: hidden entities and links, and links to hidden entities,
  dropped) or :func:`build_graph` (a graph already filtered).
* Traversals: :func:`neighbourhood` (bounded by hops and entities, with a message when cut short),
  :func:`shortest_paths`.
* Analyses: :func:`peer_groups` (Leiden), :func:`key_adults`, :func:`children_near_active_lines`,
  :func:`cuckooing_signals`; every result carries the ids of the links that justify it.
* Exports: :func:`export_csv_pair` (entities + links, CSV-injection safe), :func:`export_graphml`,
  :func:`export_gexf` (with time intervals).

Every function sees only the graph it is given, so what a viewer may not see is never traversed,
returned or counted. Results use victim-centred words: a *child at risk of criminal exploitation*, an
*adult posing risk*, a *vulnerable adult*; association is never a label.
"""

from lantern.analytics.graph._analyses import (
    ACTIVE_MONTHS,
    ChildNearLine,
    CuckooingSignal,
    KeyAdult,
    LineActivity,
    LineProximity,
    PeerGroup,
    children_near_active_lines,
    cuckooing_signals,
    key_adults,
    line_is_active,
    months_before,
    peer_groups,
)
from lantern.analytics.graph._export import (
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    CsvPair,
    export_csv_pair,
    export_gexf,
    export_graphml,
    neutralise_cell,
    to_networkx,
)
from lantern.analytics.graph._model import (
    RELIABILITY_GRADES,
    GraphError,
    Link,
    LinkGraph,
    LinkType,
    Node,
    NodeKind,
    UnknownNodeError,
    build_graph,
    subgraph_visible,
)
from lantern.analytics.graph._traverse import (
    DEFAULT_MAX_HOPS,
    DEFAULT_MAX_NODES,
    Neighbourhood,
    Path,
    Paths,
    ReachedNode,
    neighbourhood,
    shortest_paths,
)

__all__ = [
    "ACTIVE_MONTHS",
    "DEFAULT_MAX_HOPS",
    "DEFAULT_MAX_NODES",
    "ENTITY_COLUMNS",
    "LINK_COLUMNS",
    "RELIABILITY_GRADES",
    "ChildNearLine",
    "CsvPair",
    "CuckooingSignal",
    "GraphError",
    "KeyAdult",
    "LineActivity",
    "LineProximity",
    "Link",
    "LinkGraph",
    "LinkType",
    "Neighbourhood",
    "Node",
    "NodeKind",
    "Path",
    "Paths",
    "PeerGroup",
    "ReachedNode",
    "UnknownNodeError",
    "build_graph",
    "children_near_active_lines",
    "cuckooing_signals",
    "export_csv_pair",
    "export_gexf",
    "export_graphml",
    "key_adults",
    "line_is_active",
    "months_before",
    "neighbourhood",
    "neutralise_cell",
    "peer_groups",
    "shortest_paths",
    "subgraph_visible",
    "to_networkx",
]
