"""The S3 browser against moto's server: folders, lazy pages, filter, preview, presign,
delete (asked first, refused read-only), count, and transfers with progress."""

from __future__ import annotations

import calendar
import time
import urllib.parse
import urllib.request
from dataclasses import replace

import pytest

from console.app import make_app
from console.format.files import human_bytes
from console.ui.buckets.browser import S3Browser
from console.ui.buckets.path_prompt import S3PathPrompt
from console.ui.buckets.presign import S3PresignScreen
from console.ui.buckets.preview import S3PreviewScreen
from console.ui.common.confirm import ConfirmScreen
from tests.ui.conftest import notifications, query_shown, wait_until

pytestmark = pytest.mark.timeout(120)

ANNO = "image_name  category_label\nimg/000.jpg  3\n"


def seed(s3, objects: int = 12) -> list[str]:
    s3.create_bucket(Bucket="deepfashion-data")
    keys = [f"img/{i:04d}.jpg" for i in range(objects)]
    for key in keys:
        s3.put_object(Bucket="deepfashion-data", Key=key, Body=b"\xff\xd8jpeg" + key.encode())
    s3.put_object(Bucket="deepfashion-data", Key="Anno/list_category_img.txt", Body=ANNO.encode())
    s3.put_object(Bucket="deepfashion-data", Key="Eval/list_eval_partition.txt", Body=b"x\n")
    s3.put_object(Bucket="deepfashion-data", Key="README.txt", Body=b"readme\n")
    return keys


def browser(app) -> S3Browser:
    return app.screen.query_one(S3Browser)


def names(b: S3Browser) -> list[str]:
    return [b.store.row(i).name for i in range(len(b.store))]


async def open_bucket(pilot, app, page_size: int = 1000) -> S3Browser:
    await pilot.press("2")
    table = await query_shown(pilot, "#buckets-table")
    await wait_until(pilot, lambda: table.row_count == 1)
    b = browser(app)
    b.page_size = page_size
    await pilot.press("enter")
    await wait_until(pilot, lambda: b.complete or b.pages_loaded > 0 and not b.loading)
    return b


async def settle(pilot, b: S3Browser) -> None:
    await wait_until(pilot, lambda: b.pages_loaded > 0 and not b.loading)


async def goto(pilot, b: S3Browser, name: str) -> None:
    b.object_list.cursor = names(b).index(name)
    await pilot.pause()


async def test_browse_folders_first_then_objects_and_go_up(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app, page_size=2)
        await wait_until(pilot, lambda: b.complete)
        assert names(b) == ["Anno/", "Eval/", "img/", "README.txt"]
        assert b.pages_loaded >= 2
        await goto(pilot, b, "img/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "img/" and b.complete)
        assert names(b) == [f"{i:04d}.jpg" for i in range(12)]
        row = b.store.row(0)
        head = s3.head_object(Bucket="deepfashion-data", Key="img/0000.jpg")
        assert (row.size, row.modified, row.storage_class) == (
            head["ContentLength"],
            head["LastModified"],
            "STANDARD",
        )
        await pilot.press("backspace")
        await wait_until(pilot, lambda: b.store.prefix == "" and b.complete)
        assert names(b)[:3] == ["Anno/", "Eval/", "img/"]
        await pilot.press("h")  # up from the root: back to the bucket list
        await wait_until(pilot, lambda: not app.screen.query_one("BucketsView").browsing)


@pytest.mark.slow
async def test_pages_load_lazily_as_the_cursor_nears_the_end(s3, moto_settings, make_services):
    keys = seed(s3, objects=300)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 30)) as pilot:
        b = await open_bucket(pilot, app)
        b.page_size = 20
        await goto(pilot, b, "img/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "img/")
        await settle(pilot, b)
        # a screenful and a margin are loaded, not the whole folder
        assert not b.complete
        assert 20 <= b.store.total < 300
        first = b.pages_loaded
        while not b.complete:
            await pilot.press("end")
            await settle(pilot, b)
        assert b.pages_loaded > first
        assert names(b) == [k.removeprefix("img/") for k in keys]


async def test_filter_keeps_matching_names(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "img/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "img/" and b.complete)
        await pilot.press("slash", "0", "0", "1")
        assert names(b) == ["0001.jpg", "0010.jpg", "0011.jpg"]
        await pilot.press("escape")
        assert len(names(b)) == 12


@pytest.mark.slow
async def test_preview_shows_text_and_refuses_binary(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "Anno/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "Anno/" and b.complete)
        await pilot.press("enter")  # an object: preview
        await wait_until(pilot, lambda: isinstance(app.screen, S3PreviewScreen))
        assert app.screen.query_one("#s3-preview-text").text == ANNO
        await pilot.press("escape")
        await pilot.press("backspace")
        await wait_until(pilot, lambda: b.store.prefix == "" and b.complete)
        await goto(pilot, b, "img/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "img/" and b.complete)
        await pilot.press("v")
        await wait_until(pilot, lambda: any("binary" in n.message for n in notifications(app)))
        assert not isinstance(app.screen, S3PreviewScreen)


async def test_presigned_url_is_copied_and_downloads(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "README.txt")
        await pilot.press("p")
        await wait_until(pilot, lambda: b.last_presigned is not None)
        assert app.clipboard == b.last_presigned
        with urllib.request.urlopen(b.last_presigned, timeout=10) as answer:
            assert answer.read() == b"readme\n"


async def test_a_large_object_previews_its_first_part_with_its_size(
    s3, moto_settings, make_services
):
    seed(s3)
    lines = [f"img/{i:07d}.jpg  {i % 50}" for i in range(180_000)]
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) > 3 * 1024 * 1024  # over the 1 MiB a preview once refused
    s3.put_object(Bucket="deepfashion-data", Key="big-list.txt", Body=body)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "big-list.txt")
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PreviewScreen))
        screen = app.screen
        shown = screen.query_one("#s3-preview-text").text
        assert 0 < len(shown) < len(body)
        assert body.startswith(shown.encode())  # the start of the object, as it is
        assert screen.object_size == len(body) and screen.shown_bytes == len(shown.encode())
        title = str(screen.query_one("#s3-preview-title").render())
        assert f"s3://deepfashion-data/big-list.txt  ({human_bytes(len(body))}: its first" in title
        assert f"{human_bytes(len(shown.encode()))} shown" in title
        assert not any("bytes are previewed" in n.message for n in notifications(app))


async def test_presign_dialog_signs_for_the_chosen_expiry_and_the_url_downloads(
    s3, moto_settings, make_services
):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "README.txt")
        asked = time.time()
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PresignScreen))
        dialog = app.screen
        await wait_until(pilot, lambda: dialog.url is not None)
        field = dialog.query_one("#presign-url")
        assert field.text == dialog.url and field.read_only  # a field one can select from
        assert dialog.expires == 3600  # the default: one hour
        assert_valid_for(dialog.url, 3600, asked=asked, answered=time.time())
        assert app.clipboard == dialog.url
        note = str(dialog.query_one("#presign-note").render())
        assert note.startswith("Valid for 1 hour, until ") and "OSC 52" in note
        with urllib.request.urlopen(dialog.url, timeout=10) as answer:
            assert answer.read() == b"readme\n"

        first, asked = dialog.url, time.time()
        dialog.query_one("#presign-expiry").value = 12 * 3600
        await wait_until(pilot, lambda: dialog.url != first)
        assert dialog.expires == 12 * 3600
        assert_valid_for(dialog.url, 12 * 3600, asked=asked, answered=time.time())
        assert field.text == dialog.url and app.clipboard == dialog.url
        assert str(dialog.query_one("#presign-note").render()).startswith("Valid for 12 hours")
        with urllib.request.urlopen(dialog.url, timeout=10) as answer:
            assert answer.read() == b"readme\n"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, S3PresignScreen))
        assert b.last_presigned == dialog.url


def assert_valid_for(url: str, seconds: int, *, asked: float, answered: float) -> None:
    """The URL is signed with SigV4 (what every region accepts) and carries ``seconds`` of
    validity from when it was signed (X-Amz-Date, between the ask and the answer)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert int(query["X-Amz-Expires"][0]) == seconds
    signed = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    assert int(asked) - 1 <= signed <= int(answered) + 1


async def test_delete_asks_first(s3, moto_settings, make_services):
    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "README.txt")
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        assert "README.txt" in names(b)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: b.complete and "README.txt" not in names(b))
        left = [o["Key"] for o in s3.list_objects_v2(Bucket="deepfashion-data")["Contents"]]
        assert "README.txt" not in left and len(left) == 14


async def test_delete_is_refused_read_only(s3, moto_settings, make_services):
    seed(s3)
    settings = replace(moto_settings, read_only=True)
    app = make_app(settings, make_services(settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "README.txt")
        await pilot.press("x")
        await wait_until(pilot, lambda: any("read-only" in n.message for n in notifications(app)))
        assert not isinstance(app.screen, ConfirmScreen)
        s3.head_object(Bucket="deepfashion-data", Key="README.txt")  # still there


async def test_count_of_a_folder(s3, moto_settings, make_services):
    keys = seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "img/")
        await pilot.press("c")
        await wait_until(pilot, lambda: b.last_count is not None)
        assert b.last_count.files == len(keys)
        assert b.last_count.bytes == sum(len(b"\xff\xd8jpeg" + k.encode()) for k in keys)
        assert "12 objects" in b.activity.text


@pytest.mark.slow
async def test_upload_then_download_roundtrip(s3, moto_settings, make_services, tmp_path):
    seed(s3)
    payload = bytes(range(256)) * 4096 + b"tail"
    source = tmp_path / "model.pt"
    source.write_bytes(payload)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        b = await open_bucket(pilot, app)
        await goto(pilot, b, "Eval/")
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.store.prefix == "Eval/" and b.complete)
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PathPrompt))
        app.screen.query_one("#s3-path-input").value = str(source)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "model.pt" in names(b) and b.complete)
        assert b.activity.last_progress.bytes_done == len(payload)
        assert b.activity.bar.percentage == 1.0
        body = s3.get_object(Bucket="deepfashion-data", Key="Eval/model.pt")["Body"].read()
        assert body == payload

        out = tmp_path / "out"
        out.mkdir()
        await goto(pilot, b, "model.pt")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, S3PathPrompt))
        app.screen.query_one("#s3-path-input").value = str(out)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Done" in b.activity.text and "out" in b.activity.text)
        assert (out / "model.pt").read_bytes() == payload
        assert b.activity.bar.percentage == 1.0


async def test_help_lists_the_browser_keys(s3, moto_settings, make_services):
    from console.ui.common.help import HelpScreen

    seed(s3)
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_bucket(pilot, app)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = [" ".join(str(c) for c in row) for row in _help_rows(app.screen)]
        for described in ("Download", "Upload", "Presign", "Preview", "Count", "Delete"):
            assert any(described in row for row in rows), described


def _help_rows(screen):
    table = screen.query_one("#help-table")
    return [table.get_row_at(i) for i in range(table.row_count)]


async def test_a_failed_page_is_said_and_stops_paging(s3, moto_settings, make_services):
    s3.create_bucket(Bucket="gone")
    app = make_app(moto_settings, make_services(moto_settings))
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        table = await query_shown(pilot, "#buckets-table")
        await wait_until(pilot, lambda: table.row_count == 1)
        s3.delete_bucket(Bucket="gone")
        b = browser(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: b.last_failure is not None)
        assert not b.loading and not b.complete
        assert "no bucket named 'gone'" in b.activity.text
        assert any(n.severity == "error" for n in notifications(app))
