"""Third-party assets come from installed packages, found by the staticfiles finders."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("plotly/plotly.min.js", b"plotly"),
        ("bootstrap/css/bootstrap.min.css", b"Bootstrap"),
        ("bootstrap/js/bootstrap.bundle.min.js", b"Bootstrap"),
        ("js/charts.js", b"Plotly.newPlot"),
    ],
)
def test_the_finders_locate_the_assets_the_pages_load(path, marker):
    found = finders.find(path)

    assert found is not None
    assert marker in Path(found).read_bytes()[:100_000]
