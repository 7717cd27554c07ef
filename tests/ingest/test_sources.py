from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.errors import FetchError, UnsafeURLError
from ingest.fetching import AllowList, FetchPolicy, fetch
from ingest.sources import Failure, SourceOptions, iter_items
from tests.conftest import SAMPLES
from tests.helpers import Route, closed_port, make_pdf, serving
from vectorstore.models import Article

ARTICLE_HTML = """<html><head><title>Rivers flood after storm | Example Times</title>
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2024-02-03T08:00:00Z">
<link rel="canonical" href="https://times.example/rivers-flood"></head>
<body><nav>Home | World | Sport</nav><article><h1>Rivers flood after storm</h1>
<p>Three rivers burst their banks on Saturday after two days of heavy rain, and about 400 homes were evacuated in the valley.</p>
<p>Emergency services said the water level at the old mill reached its highest point since records began in 1921.</p>
<p>Forecasters expect drier weather from Monday, but warned that the ground would stay saturated for days.</p>
</article><footer>Copyright Example Times. All rights reserved.</footer></body></html>"""

# the test server stands for the operator's intranet: a feed's entries' pages there are fetched
OPTIONS = SourceOptions(
    fetch=FetchPolicy(timeout_s=5, max_bytes=200_000, allow_private=AllowList.parse("127.0.0.1"))
)


def _only(items: list[Article | Failure]) -> Article:
    [item] = items
    assert isinstance(item, Article), item
    return item


def test_markdown_front_matter_becomes_metadata() -> None:
    article = _only(list(iter_items([str(SAMPLES / "openai-london-office.md")], OPTIONS)))
    assert article.id == article.url == "https://newsdesk.example/2023/06/openai-london-office"
    assert article.title.startswith("OpenAI picks London")
    assert article.date == "2023-06-28" and article.author == "Newsdesk staff"
    assert article.text.startswith("OpenAI, the San Francisco company") and "---" not in article.text


def test_html_file_is_extracted_without_boilerplate(tmp_path: Path) -> None:
    page = tmp_path / "flood.html"
    page.write_text(ARTICLE_HTML)
    article = _only(list(iter_items([str(page)], OPTIONS)))
    assert article.title == "Rivers flood after storm"
    assert article.date == "2024-02-03" and article.author == "Jane Roe"
    assert article.id == "https://times.example/rivers-flood"
    assert "400 homes" in article.text and "Copyright" not in article.text and "Sport" not in article.text
    assert "\n\n" in article.text  # paragraphs kept


def test_pdf_text_and_title(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(
        make_pdf(
            ["The council approved the new budget on Tuesday.", "Spending on parks rises by ten percent."],
            title="Budget approved",
        )
    )
    article = _only(list(iter_items([str(pdf)], OPTIONS)))
    assert article.title == "Budget approved"
    assert "council approved the new budget" in article.text and "parks rises" in article.text
    assert article.id == str(pdf.resolve())


def test_pdf_without_text_is_a_clear_failure(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(make_pdf([]))
    [item] = list(iter_items([str(pdf)], OPTIONS))
    assert isinstance(item, Failure) and "no extractable text" in item.reason


def test_jsonl_keeps_given_ids_and_fields(tmp_path: Path) -> None:
    rows = tmp_path / "a.jsonl"
    rows.write_text(
        '{"id": "n-1", "title": "T1", "text": "Some article text that is long enough.", "date": "2005-01-02", "source": "wire"}\n'
        '{"id": "n-2", "title": "T2", "text": "Another article text, also long enough.", "url": "https://x.example/2"}\n'
    )
    first, second = list(iter_items([str(rows)], OPTIONS))
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.id, first.date, first.source) == ("n-1", "2005-01-02", "wire")
    assert (second.id, second.url) == ("n-2", "https://x.example/2")


def test_folder_is_walked_recursively_by_extension(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("First article about a quiet town council meeting.")
    (tmp_path / "a" / "b" / "two.md").write_text(
        "# Heading\n\nSecond article about the *new* [park](http://x) opening."
    )
    (tmp_path / "a" / "b" / "image.png").write_bytes(b"\x89PNG")
    items = list(iter_items([str(tmp_path / "a")], OPTIONS))
    assert sorted(i.title for i in items if isinstance(i, Article)) == ["one", "two"]
    two = next(i for i in items if isinstance(i, Article) and i.title == "two")
    assert two.text == "Heading\n\nSecond article about the new park opening."


def test_url_is_fetched_and_extracted() -> None:
    with serving({"/news/flood": Route(ARTICLE_HTML.encode())}) as server:
        article = _only(list(iter_items([server.url("/news/flood")], OPTIONS)))
    assert article.title == "Rivers flood after storm" and "400 homes" in article.text


def test_dead_urls_and_wrong_types_fail_with_reasons() -> None:
    routes = {
        "/gone": Route(b"gone", "text/plain", status=410),
        "/image": Route(b"\x89PNG....", "image/png"),
        "/huge": Route(b"x" * 300_000, "text/plain"),
    }
    with serving(routes) as server, closed_port() as port:
        failures = list(iter_items([server.url(p) for p in routes], OPTIONS))
        refused = list(iter_items([f"http://127.0.0.1:{port}/closed"], OPTIONS))
    reasons = [f.reason for f in failures if isinstance(f, Failure)]
    assert "HTTP 410" in reasons[0] and "image/png" in reasons[1] and "limit" in reasons[2]
    [closed] = refused
    assert isinstance(closed, Failure) and "Cannot fetch" in closed.reason


def _rss(base: str) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Example Times</title>
<item><title>Rivers flood after storm</title><link>{base}/news/flood</link>
<pubDate>Sat, 03 Feb 2024 08:00:00 GMT</pubDate><description>Short summary.</description></item>
<item><title>Museum reopens</title><link>{base}/news/missing</link>
<pubDate>Sun, 04 Feb 2024 08:00:00 GMT</pubDate>
<description>&lt;p&gt;The city museum reopened on Sunday after a two-year renovation of its roof.&lt;/p&gt;</description></item>
</channel></rss>""".encode()


def test_feed_entries_are_fetched_with_fallback_to_entry_content() -> None:
    with serving({"/news/flood": Route(ARTICLE_HTML.encode())}) as server:
        server.routes["/feed.xml"] = Route(_rss(server.url("")), "application/rss+xml")
        items = list(iter_items([server.url("/feed.xml")], OPTIONS))
    flood, museum = items
    assert isinstance(flood, Article) and isinstance(museum, Article)
    assert "400 homes" in flood.text and flood.id.endswith("/news/flood")
    assert museum.text.startswith("The city museum reopened") and museum.date == "2024-02-04"
    assert museum.source == "Example Times" and flood.source == "Example Times"  # not "times.example"


def _page(site: str | None) -> bytes:
    """The article page, with this site name, else with no canonical address either (its
    host name is then the page's own: 127.0.0.1 and a port)."""
    if site is None:
        return re.sub(r"<link rel=\"canonical\"[^>]*>", "", ARTICLE_HTML).encode()
    return ARTICLE_HTML.replace("<head>", f'<head><meta property="og:site_name" content="{site}">').encode()


def test_an_entry_is_named_by_its_own_source_then_its_pages_site_name_then_the_feed() -> None:
    items = [  # (path, the item's <source>, the page's og:site_name)
        ("/a", "Coastal Times", "Aggregated Site"),
        ("/b", None, "Harbour Gazette"),
        ("/c", None, None),
        ("/d", "City Star", None),  # no page: read from the feed's text
    ]
    with serving({p: Route(_page(site)) for p, _, site in items[:3]}) as server:
        rows = "".join(
            f"<item><title>Rivers flood {p}</title><link>{server.url(p)}</link>"
            + (f'<source url="http://x.example/rss">{src}</source>' if src else "")
            + "<description>Three rivers burst their banks after two days of rain.</description></item>"
            for p, src, _ in items
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News Aggregator</title>{rows}</channel></rss>'
        server.routes["/feed.xml"] = Route(feed.encode(), "application/rss+xml")
        found = list(iter_items([server.url("/feed.xml")], OPTIONS))
    assert [a.source for a in found if isinstance(a, Article)] == [
        "Coastal Times",
        "Harbour Gazette",
        "News Aggregator",
        "City Star",
    ]


def test_an_atom_entry_is_named_by_its_source_title(tmp_path: Path) -> None:
    feed = tmp_path / "agg.atom"
    feed.write_text(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Aggregator</title>'
        "<entry><title>Dam fails</title><id>urn:1</id><source><title>Valdoria  Herald</title></source>"
        "<summary>The dam above Ostrel failed on Monday night, flooding the lower town.</summary></entry>"
        "</feed>"
    )
    (article,) = list(iter_items([str(feed)], OPTIONS))
    assert isinstance(article, Article) and article.source == "Valdoria Herald"


def test_feed_file_on_disk(tmp_path: Path) -> None:
    feed = tmp_path / "feed.rss"
    with closed_port() as port:
        feed.write_bytes(_rss(f"http://127.0.0.1:{port}"))  # links are dead: entry content is used
        items = list(iter_items([str(feed)], OPTIONS))
    assert isinstance(items[1], Article) and "museum" in items[1].text
    assert isinstance(items[0], Failure) and "no text either" in items[0].reason


def test_public_only_fetch_refuses_loopback() -> None:
    with serving({"/a": Route(ARTICLE_HTML.encode())}) as server:
        with pytest.raises(UnsafeURLError):
            fetch(server.url("/a"), FetchPolicy(public_only=True))
        assert server.hits == {}
        assert fetch(server.url("/a"), FetchPolicy()).body.startswith(b"<html>")
    with pytest.raises(FetchError):
        fetch("file:///etc/passwd", FetchPolicy())


def test_feed_entry_text_is_unescaped_once_and_cleaned_as_a_page(tmp_path: Path) -> None:
    feed = tmp_path / "entities.rss"
    feed.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Ravel &amp;amp; Sons Daily</title>"
        "<item><title>AT&amp;amp;T buys a rival</title><guid>1</guid><description>AT&amp;amp;T agreed "
        "to buy the company for ten dollars a share, the board said on Monday.</description></item>"
        "<item><title>Fish</title><guid>2</guid><description><![CDATA[<p>Fish &amp; chips cost "
        "&pound;9 now,&nbsp;up from six.</p><script>track()</script><style>p{}</style><!-- ad -->"
        "<p>The shop opened in 1952.</p>]]></description></item></channel></rss>"
    )
    att, fish = list(iter_items([str(feed)], OPTIONS))
    assert isinstance(att, Article) and isinstance(fish, Article)
    assert att.text.startswith("AT&T agreed to buy") and att.title == "AT&T buys a rival"  # was "AT&amp;T"
    assert att.source == fish.source == "Ravel & Sons Daily"  # the channel's title read as an entry's
    assert fish.text == "Fish & chips cost £9 now, up from six.\n\nThe shop opened in 1952."


def test_an_untitled_entry_is_titled_by_its_first_sentence_cut_at_a_word(tmp_path: Path) -> None:
    long = (
        "The city museum reopened on Sunday after a two-year renovation of its roof, which had leaked"
        " since the storms and closed three galleries."
    )
    feed = tmp_path / "odd.xml"
    feed.write_text(
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Odd Feed</title>"
        f"<item><guid>31a37ac0</guid><description>{long} It was busy.</description></item>"
        "<item><guid>2</guid><description>Ferries run again. The port said so.</description></item>"
        "</channel></rss>"
    )
    museum, ferries = list(iter_items([str(feed)], OPTIONS))
    assert isinstance(museum, Article) and isinstance(ferries, Article)
    assert (
        museum.title
        == "The city museum reopened on Sunday after a two-year renovation of its roof, which had leaked since…"
    )
    assert ferries.title == "Ferries run again." and museum.id not in museum.title  # the id stays internal
    assert len(museum.title) <= 100 and museum.title[:-1] in long
