"""The published files and shared/reference/published-measurements.md agree, number by number.

The reference lives beside the repository (``../shared``, read-only in CI). Its tables (the
SGEMM ladder, the nccl-tests sizes) are parsed and must equal the files exactly, both ways;
every microbenchmark figure in the files must be printed in the reference's line for its
source, beside its device and level.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gpusim.validate.published import PublishedFile, load_published

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference" / "published-measurements.md"
PUBLISHED = REPO / "validation" / "published"

pytestmark = pytest.mark.skipif(
    not REFERENCE.exists(), reason=f"the shared reference is absent ({REFERENCE})"
)

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def reference_text() -> str:
    return REFERENCE.read_text()


def table_rows(section_marker: str) -> list[list[str]]:
    """The cells of the first Markdown table after ``section_marker`` (header and body)."""
    lines = reference_text()[reference_text().index(section_marker) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not all(set(cell) <= set("-: ") for cell in cells):
            rows.append(cells)
    return rows


def paragraphs() -> list[str]:
    """Blocks of the reference (bullets and paragraphs) with their wrapped lines joined."""
    blocks = re.split(r"\n\s*\n|\n(?=- )", reference_text())
    return [" ".join(line.strip() for line in block.splitlines()) for block in blocks]


def paragraph_with(marker: str) -> str:
    (found,) = [block for block in paragraphs() if marker in block]
    return found


def published(name: str) -> PublishedFile:
    return load_published(PUBLISHED / name)


def test_the_sgemm_ladder_is_the_reference_table_and_its_rerun() -> None:
    rows = table_rows("## 1. Hand-written SGEMM")[1:]
    table = {row[0].split()[0]: row[-1] for row in rows}
    rerun_text = paragraph_with("Another version of the same README")
    rerun = re.search(r"gives (.*?) \(cuBLAS\)", rerun_text)
    assert rerun is not None
    rerun_numbers = NUMBER.findall(re.sub(r"\(kernel \d+\)", "", rerun.group(1)))
    order = ["1", "2", "3", "4", "5", "6", "10", "0"]
    ladder = published("siboehm-sgemm-rtx-a6000.json")
    by_number = {case.label.split()[0]: case for case in ladder.cases}
    assert {n: case.figure.printed for n, case in by_number.items()} == table
    assert [by_number[n].reruns[0].printed for n in order] == rerun_numbers
    assert all(case.params == {"m": 4096, "n": 4096, "k": 4096} for case in ladder.cases)


NCCL_FILES = {
    "8x A100-SXM4-80GB": "azure-nccl-allreduce-nd-a100-v4.json",
    "8x H100-SXM5-80GB": "azure-nccl-allreduce-nd-h100-v5.json",
}


def test_the_nccl_tables_are_the_reference_tables_at_every_size() -> None:
    header, *rows = table_rows("## 2. nccl-tests all-reduce")
    sizes = header[2:]
    small = paragraph_with("Small sizes, same files")
    for row in rows:
        system = next(key for key in NCCL_FILES if row[0].startswith(key))
        expected = dict(zip(sizes, row[2:], strict=True))
        gpu = system.split()[1].split("-")[0]  # "A100" or "H100"
        segment = re.search(rf"{gpu} ((?:\d+K [\d.]+,? ?)+)", small)
        assert segment is not None
        expected |= dict(re.findall(r"(\d+K) ([\d.]+)", segment.group(1)))
        nccl = published(NCCL_FILES[system])
        assert {case.case_id.split("/")[1]: case.figure.printed for case in nccl.cases} == expected
        for case in nccl.cases:
            assert case.conditions.nccl_version == row[1]
            assert case.conditions.in_place is True
            label = case.case_id.split("/")[1]
            scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[label[-1]]
            assert case.params["size_bytes"] == int(label[:-1]) * scale


MICROBENCHMARK_FILES = {
    "gpu-benches-latency.json": "gpu-latency/",
    "gpu-benches-l2-bandwidth.json": "gpu-l2-cache/",
    "gpu-benches-stream.json": "gpu-stream/",
    "mt4g-h100.json": "H100 80GB HBM3 @1980 MHz",
    "azure-babelstream-copy.json": 'BabelStream "Copy"',
}


def printed_in(piece: str, printed: str) -> bool:
    return re.search(rf"(?<![\d.~]){re.escape(printed)}(?!\d|\.\d)", piece) is not None


@pytest.mark.parametrize("name", sorted(MICROBENCHMARK_FILES))
def test_every_microbenchmark_figure_is_printed_beside_its_device(name: str) -> None:
    line = paragraph_with(MICROBENCHMARK_FILES[name])
    cases = published(name).cases
    one_device = len({case.device for case in cases}) == 1  # its line is all about it
    for case in cases:
        segments = [segment for segment in line.split(";") if one_device or case.device in segment]
        level = str(case.params.get("level", ""))
        clock = case.conditions.clock_mhz
        found = [
            piece
            for segment in segments
            for piece in segment.split(",")
            if printed_in(piece, case.figure.printed)
            and all(word in piece for word in level.split())
            and (level or case.device in piece)
            and (name != "gpu-benches-latency.json" or f"@{clock:g} MHz" in segment)
        ]
        assert found, f"{name}: {case.case_id} {case.figure.printed} is not in the reference"


def test_every_published_file_is_checked_here() -> None:
    checked = {*MICROBENCHMARK_FILES, *NCCL_FILES.values(), "siboehm-sgemm-rtx-a6000.json"}
    assert {path.name for path in PUBLISHED.glob("*.json")} == checked
