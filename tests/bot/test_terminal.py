"""No control or escape sequence of a question, title or file name reaches a terminal
(its control characters are dropped, the rest shows), nor a bidi control or an invisible
character ("file.exe\u202egpj." would read "file.exe.jpg"); --json stays JSON and whole."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.terminal import json_line, printable

runner = CliRunner()
OSC_TITLE = "\x1b]0;pwned\x07"  # retitles a terminal
CLEAR = "\x1b[2J"
CSI = "\x9b31m"  # C1: a CSI on its own
RAW = ("\x1b", "\x07", "\x9b", "\r")
SPOOF = "file.exe\u202egpj.\u202c"  # a right-to-left override, then its pop
BIDI_AND_INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u2060\ufeff"
)


def _raw_controls(output: str) -> list[str]:
    return [ch for ch in RAW + tuple(BIDI_AND_INVISIBLE) if ch in output]


def test_printable_drops_each_control_character_and_keeps_the_rest() -> None:
    assert printable(f"a{OSC_TITLE}b{CSI}\r\tc\n") == "a]0;pwnedb31m\tc\n"
    assert json.loads(json_line({"q": f"{CLEAR}{CSI}\x7fé"})) == {"q": f"{CLEAR}{CSI}\x7fé"}
    assert not _raw_controls(json_line({"q": f"{CLEAR}{CSI}é"})) and "é" in json_line({"q": "é"})


def test_chat_does_not_echo_a_questions_escape_sequences(samples: Path) -> None:
    runner.invoke(app, ["ingest", str(samples), "-q"])
    question = f"When will OpenAI open its office in Tokyo{OSC_TITLE}{CLEAR}{CSI}?"
    result = runner.invoke(app, ["chat"], input=f"{question}\n\n", env={"COLUMNS": "70"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "could not find anything on “Tokyo]0;pwned[2J31m”" in flat, flat  # the reply quotes it
    assert not _raw_controls(result.stdout), repr(result.stdout)
    assert "The closest they come" in flat, "nothing lost where the escapes were dropped"


def test_a_file_name_with_escapes_is_printed_without_them_in_the_summary(tmp_path: Path) -> None:
    broken = tmp_path / f"bad{OSC_TITLE}{CLEAR}.pdf"
    broken.write_bytes(b"not a pdf")
    named = tmp_path / f"good{CSI}.txt"  # a C1 control is no reason to refuse an id
    named.write_text("The council approved the budget on Tuesday after a long debate about parks.")
    result = runner.invoke(app, ["ingest", str(broken), str(named)], env={"COLUMNS": "500"})
    assert result.exit_code == 1 and "not a readable PDF" in result.stdout, result.output
    assert not _raw_controls(result.stdout), repr(result.stdout)
    assert "bad]0;pwned[2J.pdf" in result.stdout
    listed = runner.invoke(app, ["articles", "list"], env={"COLUMNS": "500"})
    assert not _raw_controls(listed.stdout) and "good31m.txt" in listed.stdout, listed.stdout


def test_json_output_keeps_the_text_and_writes_no_raw_control(tmp_path: Path) -> None:
    named = tmp_path / f"good{CLEAR}{CSI}.txt"
    named.write_text("The council approved the budget on Tuesday after a long debate about parks.")
    result = runner.invoke(app, ["ingest", str(named), "--json"])
    assert not _raw_controls(result.stdout), repr(result.stdout)
    [article] = json.loads(result.stdout)["articles"]
    # ESC cannot be in an id: a derived id, its readable form escaped by json (the C1 CSI kept)
    assert article["source"].startswith(str(named.resolve()).replace("\x1b", "\ufffd") + "~")
    assert "derived id" in article["reason"]
    asked = runner.invoke(app, ["ask", f"what about {CLEAR}{CSI} parks?", "--json"])
    assert asked.exit_code == 0 and not _raw_controls(asked.stdout)
    assert CSI in json.loads(asked.stdout)["question"]


def test_bidi_controls_and_invisible_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    assert printable(f"{SPOOF} pay\u200dpal\u200b \u2067x\u2069") == "file.exegpj. paypal x"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert printable(persian) == persian  # a joiner between two letters is spelling
    named = tmp_path / f"{SPOOF}.txt"
    named.write_text(f"The council approved the budget on Tuesday{SPOOF} after a long debate about parks.")
    result = runner.invoke(app, ["ingest", str(named)], env={"COLUMNS": "500"})
    assert result.exit_code == 0 and not _raw_controls(result.stdout), repr(result.stdout)
    listed = runner.invoke(app, ["articles", "list"], env={"COLUMNS": "500"})
    assert "file.exegpj." in listed.stdout and not _raw_controls(listed.stdout), repr(listed.stdout)
    asked = runner.invoke(app, ["ask", f"what did the council approve {SPOOF}?"], env={"COLUMNS": "500"})
    assert asked.exit_code == 0 and not _raw_controls(asked.stdout), repr(asked.stdout)
    as_json = runner.invoke(app, ["articles", "list", "--json"])
    [article] = json.loads(as_json.stdout)
    assert not _raw_controls(as_json.stdout) and article["id"] == str(named.resolve())  # escaped, whole
    assert article["title"] == "file.exegpj."  # a stored name holds none
