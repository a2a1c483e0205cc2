"""The explicit download, tested against a local HTTP server (no internet)."""

from __future__ import annotations

import http.server
import shutil
import threading
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from bereikbaar._download import download_file
from bereikbaar.cli import main
from bereikbaar.errors import DownloadError


@pytest.fixture()
def server(tmp_path: Path, data_dir: Path):
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(data_dir / "roads" / "valhalla_test_amsterdam.osm.pbf", root / "extract.osm.pbf")
    (root / "error.osm.pbf").write_text("<html>Service unavailable</html>")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


def test_download_pbf_is_byte_identical(server, tmp_path: Path):
    url, root = server
    dest = tmp_path / "out" / "drenthe.osm.pbf"
    path = download_file(f"{url}/extract.osm.pbf", dest)
    assert path.read_bytes() == (root / "extract.osm.pbf").read_bytes()
    assert not list(dest.parent.glob(".bereikbaar-tmp-*"))


def test_download_skips_existing_unless_forced(server, tmp_path: Path):
    url, _ = server
    dest = tmp_path / "x.osm.pbf"
    dest.write_bytes(b"old")
    download_file(f"{url}/extract.osm.pbf", dest)
    assert dest.read_bytes() == b"old"
    download_file(f"{url}/extract.osm.pbf", dest, force=True)
    assert dest.read_bytes() != b"old"


def test_http_error_and_html_instead_of_pbf(server, tmp_path: Path):
    url, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(f"{url}/missing.osm.pbf", tmp_path / "a.osm.pbf")
    with pytest.raises(DownloadError, match="did not return an OSM PBF"):
        download_file(f"{url}/error.osm.pbf", tmp_path / "b.osm.pbf")
    # nothing that looks like an extract is left behind
    assert not (tmp_path / "a.osm.pbf").exists() and not (tmp_path / "b.osm.pbf").exists()
    assert not list(tmp_path.glob(".bereikbaar-tmp-*"))


def test_cli_download(server, tmp_path: Path):
    url, _ = server
    dest = tmp_path / "c.osm.pbf"
    r = CliRunner().invoke(
        main, ["download", "osm", "--url", f"{url}/extract.osm.pbf", "--to", str(dest)]
    )
    assert r.exit_code == 0, r.output
    assert "saved" in r.output and dest.stat().st_size > 1000
