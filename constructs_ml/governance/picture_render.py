"""Lay out a :class:`~constructs_ml.governance.platform_picture.PlatformPicture` with Graphviz, as SVG.

Graphviz's ``dot`` places the boxes; this module only says what is grouped with what (a cluster per
stack, and inside it a cluster per layer), and how nodes and edges look. It needs the ``graphviz``
Python package and the ``dot`` program (Debian: ``apt-get install graphviz``; ``make setup``
installs both). Without them :func:`render_svg` raises :class:`PictureUnavailable` and the report is
written without a picture, saying why.

Ids in the SVG are stable for tests and links: a node's ``id`` is ``node_<node id>`` and its class
``kind_<kind>`` (e.g. ``kind_S3_bucket``), a stack's cluster ``stack_<artifact id>``; event edges
carry the class ``event``, other references ``uses``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from constructs_ml.governance.platform_picture import LAYERS, PlatformPicture, slug

FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"

#: Fill colour per layer (light tints: black text on them stays above 10:1 contrast).
LAYER_FILL = {
    "Network": "#e3f0fb",
    "Security": "#fbe9e7",
    "Data": "#e8f5e9",
    "Studio": "#f3e5f5",
    "Build": "#fff8e1",
    "Serving": "#e0f7fa",
    "Monitoring": "#fce4ec",
    "Events and glue": "#ede7f6",
    "Other": "#eeeeee",
}
EVENT_COLOUR = "#b3261e"


class PictureUnavailable(RuntimeError):
    """Graphviz (the Python package or the ``dot`` program) is not installed, or ``dot`` failed."""


def to_dot(pic: PlatformPicture) -> Any:
    """The picture as a ``graphviz.Digraph`` (typed ``Any``: the package has no type hints)."""
    try:
        import graphviz  # type: ignore[import-untyped]
    except ImportError as err:
        raise PictureUnavailable("the graphviz Python package is not installed (pip install graphviz)") from err
    graph = graphviz.Digraph(
        "platform",
        graph_attr={
            "rankdir": "LR",
            "newrank": "true",
            "compound": "true",
            "fontname": FONT,
            "fontsize": "16",
            "nodesep": "0.2",
            "ranksep": "0.45",
            "pad": "0.2",
            "bgcolor": "white",
            "tooltip": "Platform picture",
        },
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": FONT, "fontsize": "12", "margin": "0.1,0.04"},
        edge_attr={"fontname": FONT, "fontsize": "11", "color": "#777777", "arrowsize": "0.7"},
    )
    for stack in pic.stacks:
        with graph.subgraph(name=f"cluster_{slug(stack)}") as cluster:
            cluster.attr(
                label=f"Stack: {pic.display.get(stack, stack)}",
                id=f"stack_{slug(stack)}",
                style="rounded,bold",
                color="#37474f",
                fontsize="16",
                labeljust="l",
            )
            for layer in LAYERS:
                nodes = pic.nodes_of(stack, layer)
                if not nodes:
                    continue
                with cluster.subgraph(name=f"cluster_{slug(stack)}_{slug(layer)}") as box:
                    box.attr(
                        label=layer,
                        id=f"layer_{slug(stack)}_{slug(layer)}",
                        style="dashed,rounded",
                        color="#90a4ae",
                        fontsize="12",
                        labeljust="l",
                    )
                    for node in nodes:
                        box.node(
                            node.id,
                            label=node.label,
                            id=f"node_{node.id}",
                            fillcolor=LAYER_FILL.get(layer, "#eeeeee"),
                            tooltip=f"{node.kind}: {len(node.members)} resource(s) of {stack}",
                            **{"class": f"kind_{slug(node.kind)}"},
                        )
    for edge in pic.edges:
        # an edge between stacks does not rank the boxes: each stack stays a compact band
        constraint = "true" if pic.nodes[edge.src].stack == pic.nodes[edge.dst].stack else "false"
        if edge.kind == "event":
            graph.edge(
                edge.src,
                edge.dst,
                label=edge.label,
                color=EVENT_COLOUR,
                fontcolor=EVENT_COLOUR,
                penwidth="2",
                constraint=constraint,
                **{"class": "event"},
            )
        else:
            graph.edge(edge.src, edge.dst, label=edge.label, style="dashed", constraint=constraint, **{"class": "uses"})
    return graph


def render_svg(pic: PlatformPicture) -> str:
    """The picture as an SVG file (Graphviz's output: natural size, XML prolog).

    Raises:
        PictureUnavailable: Graphviz is missing or failed.
    """
    graph = to_dot(pic)
    try:
        return str(graph.pipe(format="svg", encoding="utf-8"))
    except Exception as err:  # graphviz.ExecutableNotFound, CalledProcessError
        raise PictureUnavailable(f"Graphviz could not draw the picture: {type(err).__name__}: {err}") from err


def embeddable(svg_file: str) -> str:
    """An SVG file as an element for an HTML page: no prolog, no fixed size (it scales to its box)."""
    svg = svg_file[svg_file.index("<svg") :]
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="platform-picture"', svg, count=1)


@dataclass(frozen=True)
class RenderedPicture:
    """A picture and its SVG file, or why there is none."""

    picture: PlatformPicture
    svg_file: str = ""
    problem: str = ""

    @property
    def svg(self) -> str:
        """The SVG element to embed in HTML ("" without a picture)."""
        return embeddable(self.svg_file) if self.svg_file else ""

    @property
    def node_count(self) -> int:
        """Boxes in the picture."""
        return len(self.picture.nodes)


def render(pic: PlatformPicture) -> RenderedPicture:
    """Lay out ``pic``; a missing Graphviz becomes ``problem`` instead of an exception."""
    try:
        return RenderedPicture(pic, render_svg(pic))
    except PictureUnavailable as err:
        return RenderedPicture(pic, problem=str(err))
