"""The WordPress import's fetched files: only from the public internet, in bounded time, and only pictures as pictures.

The old site stands on OUTSIDE (127.0.0.2, which the tests declare public); 127.0.0.1 is inside, where
`inside_server` records every request, and none may come. The private, link-local and multicast
cases are tried end to end too, without a packet leaving the machine: a tripwire (an audit hook on
socket.connect) refuses and records any connection this process tries to an address off loopback.
"""

import ipaddress
import subprocess
import sys

import pytest

from wordpress.models import Imported

from .conftest import (
    HOSTILE_UPLOADS,
    KEPT_AS,
    OUTSIDE,
    REFUSED_WITH,
    UploadsServer,
    fixture_export_served_by,
    import_wordpress,
    with_attachments,
)

pytestmark = pytest.mark.django_db

CRUMB = "/wp-content/uploads/2025/10/crumb.png"
KEPT_FOLDER = "wordpress/crumb.example/2025/10"
NOT_FETCHED = "Attachments not fetched (posts still point at the old site):"
OFF_LOOPBACK: list | None = None  # the connections the tripwire stopped, while a test watches


def tripwire(event, args):
    if event == "socket.connect" and OFF_LOOPBACK is not None and isinstance(args[1], tuple):
        address = ipaddress.ip_address(args[1][0].partition("%")[0])
        if not address.is_loopback:
            OFF_LOOPBACK.append(args[1])
            raise ConnectionRefusedError(f"tripwire: a test connected to {args[1]}")


sys.addaudithook(tripwire)


@pytest.fixture
def off_loopback():
    """The connections this test tried to make off loopback (each refused before a packet left)."""
    global OFF_LOOPBACK  # the audit hook, once added, lives as long as the process
    OFF_LOOPBACK = []
    yield OFF_LOOPBACK
    OFF_LOOPBACK = None


def import_with(uploads_server, tmp_path, *urls) -> str:
    """Import the fixture export with attachments at `urls` added, fetching them; what the import printed."""
    export = fixture_export_served_by(uploads_server.url, tmp_path / "export.xml", edit=with_attachments(*urls))
    return import_wordpress(export, "--fetch-attachments")


def kept_files() -> set[str]:
    return set(Imported.objects.filter(kind=Imported.Kind.ATTACHMENT).values_list("file", flat=True))


# Addresses inside, however written, and what the summary says of each. {inside} is the inside server's port.
INSIDE = [
    ("http://127.0.0.1:{inside}", "127.0.0.1 is a loopback address"),
    ("http://localhost:{inside}", "localhost is at 127.0.0.1, a loopback address"),
    ("http://2130706433:{inside}", "2130706433 is at 127.0.0.1, a loopback address"),
    ("http://0x7f.0.0.1:{inside}", "0x7f.0.0.1 is at 127.0.0.1, a loopback address"),
    ("http://0177.1:{inside}", "0177.1 is at 127.0.0.1, a loopback address"),
    ("http://127.1:{inside}", "127.1 is at 127.0.0.1, a loopback address"),
    ("http://0.0.0.0:{inside}", "0.0.0.0 is the unspecified address"),
    ("http://[::1]:{inside}", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{inside}", "::ffff:127.0.0.1 is a loopback address"),
    ("http://[2002:7f00:1::1]:{inside}", "2002:7f00:1::1 is a loopback address"),  # 6to4 of 127.0.0.1
    ("http://10.1.2.3", "10.1.2.3 is a private address"),
    ("http://172.16.5.4", "172.16.5.4 is a private address"),
    ("http://192.168.1.1", "192.168.1.1 is a private address"),
    ("http://169.254.169.254", "169.254.169.254 is a link-local address"),
    ("http://[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe is a link-local address"),  # NAT64 of 169.254.169.254
    ("http://[fe80::1]", "fe80::1 is a link-local address"),
    ("http://[fd00::1]", "fd00::1 is a private address"),
    ("http://224.0.0.1", "224.0.0.1 is a multicast address"),
    ("http://100.64.0.1", "100.64.0.1 is not a public address"),  # carrier-grade NAT
    ("http://240.0.0.1", "240.0.0.1 is a reserved address"),
]


@pytest.mark.parametrize(("address", "words"), INSIDE, ids=[words.split(" is ")[0] for _, words in INSIDE])
def test_an_attachment_at_an_inside_address_is_refused_and_never_asked(
    address, words, uploads_server, inside_server, off_loopback, tmp_path, media_root
):
    """An attachment on a loopback, private, link-local, multicast or reserved address, however written, is refused."""
    url = address.format(inside=inside_server.url.rpartition(":")[2]) + CRUMB
    output = import_with(uploads_server, tmp_path, url)

    assert f"  - {url}: refused: {words}; only the public internet is fetched from" in output
    assert inside_server.requested == [] and off_loopback == []
    assert kept_files() == {f"{KEPT_FOLDER}/crumb.png", f"{KEPT_FOLDER}/oven.png"}  # the old site's own still come


def test_an_address_that_only_looks_like_one_is_not_asked(
    uploads_server, inside_server, off_loopback, tmp_path, media_root
):
    """An IPv4 address written with a leading zero (octal to some parsers) is refused as no valid address."""
    url = f"http://0177.0.0.1:{inside_server.url.rpartition(':')[2]}{CRUMB}"
    output = import_with(uploads_server, tmp_path, url)

    assert f"  - {url}: not a valid address" in output
    assert inside_server.requested == [] and off_loopback == []


@pytest.mark.parametrize("inside", ["http://127.0.0.1:{inside}", "http://localhost:{inside}", "http://169.254.169.254"])
def test_a_redirect_to_an_inside_address_is_refused(
    inside, uploads_server, inside_server, off_loopback, tmp_path, media_root
):
    """The old site's redirect into an inside address is checked like the first address, and refused."""
    target = inside.format(inside=inside_server.url.rpartition(":")[2]) + CRUMB
    url = f"{uploads_server.url}/redirect?to={target}"
    output = import_with(uploads_server, tmp_path, url)

    line = next(line for line in output.splitlines() if line.startswith(f"  - {url}: "))
    assert f"(redirected to {target}); only the public internet is fetched from" in line
    assert "/redirect?to=" in uploads_server.requested[0]
    assert inside_server.requested == [] and off_loopback == []


def test_redirects_are_followed_three_times_and_no_more(uploads_server, tmp_path, media_root):
    """A file behind three redirects on public addresses is fetched; one behind four is reported."""

    def behind(hops: int) -> str:
        url = uploads_server.url + CRUMB
        for _ in range(hops):
            url = f"{uploads_server.url}/redirect?to={url.replace('?', '%3F').replace('=', '%3D')}"
        return url

    three, four = behind(3), behind(4)
    output = import_with(uploads_server, tmp_path, three, four)

    assert f"  - {four}: more than 3 redirects" in output
    assert f"{three}:" not in output
    assert (media_root / KEPT_FOLDER / "crumb.png").exists()


@pytest.mark.parametrize("drip", ["drip", "drip-head"])
def test_a_file_that_drips_is_cut_off_at_its_deadline_and_the_rest_still_come(
    drip, uploads_server, tmp_path, settings, media_root
):
    """A server sending a byte a second, of its body or of its head, is cut off at the file's deadline and reported."""
    settings.WORDPRESS_FETCH_FILE_SECONDS = 2
    url = f"{uploads_server.url}/{drip}/slow.png"
    output = import_with(uploads_server, tmp_path, url)

    assert f"  - {url}: took longer than 2 s" in output
    assert kept_files() == {f"{KEPT_FOLDER}/crumb.png", f"{KEPT_FOLDER}/oven.png"}


@pytest.fixture
def https_old_site(tmp_path, settings, monkeypatch):
    """The old site over HTTPS on OUTSIDE, with a certificate for that address which the fetcher trusts."""
    key, certificate = tmp_path / "key.pem", tmp_path / "certificate.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=old site", "-addext", f"subjectAltName=IP:{OUTSIDE}",
         "-keyout", key, "-out", certificate],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "both.pem").write_bytes(key.read_bytes() + certificate.read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # trusted as an authority, as a real one would be
    settings.WORDPRESS_FETCH_ALLOW_NETWORKS = [f"{OUTSIDE}/32"]
    with UploadsServer(tmp_path / "old-site", certificate=tmp_path / "both.pem") as server:
        yield server


def test_an_https_old_site_is_fetched_and_its_drip_cut_off_too(https_old_site, tmp_path, settings, media_root):
    """Over TLS to the address checked, the pictures come, and a file dripping inside TLS is cut off at its deadline."""
    settings.WORDPRESS_FETCH_FILE_SECONDS = 2
    slow = f"{https_old_site.url}/drip/slow.png"
    output = import_with(https_old_site, tmp_path, slow)

    assert https_old_site.url.startswith("https://")
    assert f"  - {slow}: took longer than 2 s" in output
    assert kept_files() == {f"{KEPT_FOLDER}/crumb.png", f"{KEPT_FOLDER}/oven.png"}


def test_files_past_the_imports_time_for_fetching_are_reported(uploads_server, tmp_path, settings, media_root):
    """Once the whole fetching's time is spent, the file being fetched and every one after it are reported."""
    settings.WORDPRESS_FETCH_TOTAL_SECONDS = 2
    slow = f"{uploads_server.url}/drip/slow.png"
    output = import_with(uploads_server, tmp_path, slow)

    for url in (slow, uploads_server.url + CRUMB, uploads_server.url + "/wp-content/uploads/2025/10/oven.png"):
        assert f"  - {url}: the import's time for fetching ran out" in output
    assert kept_files() == set()


def test_only_pictures_are_kept_as_pictures_and_other_files_as_downloads(uploads_server, tmp_path, media_root):
    """What the bytes are decides: real pictures keep their real format's extension, other files are kept under their
    own name (served as downloads), and a file whose name says image but is not a picture is refused."""
    for name, content in HOSTILE_UPLOADS.items():
        (uploads_server.uploads / name).write_bytes(content)
    urls = {name: f"{uploads_server.url}/wp-content/uploads/2025/10/{name}" for name in HOSTILE_UPLOADS}
    output = import_with(uploads_server, tmp_path, *urls.values())

    assert kept_files() == {f"{KEPT_FOLDER}/{name}" for name in [*KEPT_AS.values(), "crumb.png", "oven.png"]}
    for name, kept in KEPT_AS.items():
        assert (media_root / KEPT_FOLDER / kept).read_bytes() == HOSTILE_UPLOADS[name]
    for name, reason in REFUSED_WITH.items():
        assert f"  - {urls[name]}: {reason}, the only images shown here" in output
        assert not (media_root / KEPT_FOLDER / name).exists()
    assert output.count("  - ") - output.count("Custom fields") - output.count("Shortcodes") >= len(REFUSED_WITH)


def test_a_copy_left_by_an_older_import_is_not_taken_on_trust(uploads_server, tmp_path, media_root):
    """A page an older import stored under a picture's name is not reused: the file is fetched again, and refused."""
    (uploads_server.uploads / "page.jpg").write_bytes(HOSTILE_UPLOADS["page.jpg"])
    (media_root / KEPT_FOLDER).mkdir(parents=True)
    (media_root / KEPT_FOLDER / "page.jpg").write_bytes(HOSTILE_UPLOADS["page.jpg"])
    url = f"{uploads_server.url}/wp-content/uploads/2025/10/page.jpg"
    output = import_with(uploads_server, tmp_path, url)

    assert f"  - {url}: {REFUSED_WITH['page.jpg']}" in output
    assert "/wp-content/uploads/2025/10/page.jpg" in uploads_server.requested
    assert f"{KEPT_FOLDER}/page.jpg" not in kept_files()


def test_a_picture_already_copied_is_not_fetched_again(uploads_server, tmp_path, media_root):
    """A real picture already in the media folder under its name is used as it is, without asking the old site."""
    (media_root / KEPT_FOLDER).mkdir(parents=True)
    (media_root / KEPT_FOLDER / "crumb.png").write_bytes((uploads_server.uploads / "crumb.png").read_bytes())
    import_with(uploads_server, tmp_path)

    assert uploads_server.requested == ["/wp-content/uploads/2025/10/oven.png"]
    assert f"{KEPT_FOLDER}/crumb.png" in kept_files()
