"""``gpusim collective``: nccl-tests tables, JSON rows, timelines, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gpusim.cli import app


def _gpusim(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1"})


def _assert_user_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_the_table_has_nccl_tests_columns_and_a_row_per_size() -> None:
    result = _gpusim("collective", "allreduce", "--system", "8xH100-NVSwitch", "--sizes", "8:1M")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("# gpusim allreduce: 8xH100-NVSwitch, 8 ranks")
    header = lines[2].split()
    assert header == [
        "#",
        "size",
        "count",
        "type",
        "redop",
        "time",
        "algbw",
        "busbw",
        "bound",
        "algo",
        "proto",
        "ch",
    ]
    rows = [line.split() for line in lines if not line.startswith("#")]
    assert [int(row[0]) for row in rows] == [8 << i for i in range(18)]
    assert rows[0][1:4] == ["2", "float", "sum"]
    # NCCL's tuner: ring LL on one channel (8 B is under LL's 8 x 4 KiB threshold); NVLS on
    # its 16 channels at 1 MiB (23 us + 1 MiB at 5/6 of 370.8 GB/s beats ring LL's 15 us +
    # 1 MiB at 8/14 of 87.7 GB/s).
    assert rows[0][-3:] == ["ring", "ll", "1"]
    assert rows[-1][-3:] == ["nvls", "simple", "16"]
    assert lines[-2].startswith("# Avg bus bandwidth")
    assert lines[-1].startswith("# Busiest link at 1 MiB: node0.gpu")


def test_json_prints_a_list_of_rows() -> None:
    result = _gpusim(
        "collective", "allgather", "--system", "8xH100-PCIe", "--sizes", "1K:4K", "--json"
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["size_bytes"] for row in rows] == [1024, 2048, 4096]
    for row in rows:
        assert {"size_bytes", "time_us", "algbw_gbps", "busbw_gbps", "bound_us"} <= set(row)
        assert (row["algo"], row["protocol"], row["channels"]) == ("ring", "ll", 1)
        assert row["redop"] == "none" and row["busbw_gbps"] < row["algbw_gbps"]


@pytest.mark.parametrize("collective", ["reducescatter", "broadcast", "reduce"])
def test_every_collective_has_its_command(collective: str) -> None:
    result = _gpusim("collective", collective, "--system", "8xA100-NVSwitch", "--sizes", "1M")
    assert result.exit_code == 0, result.output


def test_options_reach_the_simulation() -> None:
    result = _gpusim(
        "collective", "allreduce", "--system", "8xH100-NVSwitch", "--nodes", "2",
        "--ranks", "16", "--algo", "tree", "--protocol", "simple", "--dtype", "bf16",
        "--sizes", "1M", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["ranks"], row["algo"], row["protocol"], row["type"]) == (
        16,
        "tree",
        "simple",
        "bfloat16",
    )


def test_a_timeline_is_written_as_a_chrome_trace(tmp_path: Path) -> None:
    trace = tmp_path / "links.json"
    result = _gpusim(
        "collective", "allreduce", "--system", "8xH100-NVSwitch", "--sizes", "1M",
        "--timeline", str(trace),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    events = json.loads(trace.read_text())["traceEvents"]
    assert events and {event["ph"] for event in events} == {"X"}
    assert {event["tid"] for event in events} >= {"node0.gpu0.nvlink.out", "node0.gpu1.nvlink.in"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--system", "DGX-9"], "unknown system preset 'DGX-9' (known: 8xA100-NVSwitch"),
        (["--system", "8xH100-NVSwitch", "--ranks", "0"], "--ranks: must be >= 2, got 0"),
        (["--system", "8xH100-NVSwitch", "--ranks", "9"], "--ranks: 8xH100-NVSwitch has 8 GPUs"),
        (["--system", "8xH100-NVSwitch", "--sizes", "6:64"], "--sizes: 6 B is not a whole number"),
        (["--system", "8xH100-NVSwitch", "--sizes", "lots"], "--sizes: 'lots' is not a size"),
        (["--system", "8xH100-NVSwitch", "--algo", "hypercube"],
         "--algo: unknown algorithm 'hypercube' for allreduce (known: auto, ring, tree, nvls)"),
        (["--system", "8xH100-NVSwitch", "--dtype", "fp8"], "--dtype: must be one of"),
        (["--system", "8xH100-NVSwitch", "--protocol", "fast"], "--protocol: must be one of"),
        (["--system", "8xH100-NVSwitch", "--nodes", "0"], "--nodes: must be > 0, got 0"),
        (["--system", "8xA100-NVSwitch", "--algo", "nvls"],
         "--algo: nvls needs an NVSwitch that reduces (NVLink SHARP)"),
        (["--system", "8xH100-NVSwitch", "--algo", "nvls", "--protocol", "ll"],
         "--protocol: NCCL runs nvls with simple only on 8xH100-NVSwitch, got ll"),
        (["--system", "8xH100-PCIe", "--algo", "ring", "--protocol", "ll128"],
         "--protocol: NCCL runs ring with ll, simple only on 8xH100-PCIe, got ll128"),
        (["--system", "8xH100-NVSwitch", "--nodes", "8193"],
         "--nodes: 8193 nodes need 65544 NIC ports (8 per node), more than a 3-level fat "
         "tree of 64-port switches wires (65536; nic.switch_radix, nic.switch_tiers)"),
        (["--system", "8xA100-NVSwitch", "--nodes", "2001"],
         "--nodes: 2001 nodes need 16008 NIC ports (8 per node), more than a 3-level fat "
         "tree of 40-port switches wires (16000; nic.switch_radix, nic.switch_tiers)"),
        (["--system", "8xH100-NVSwitch", "--nodes", "1000", "--algo", "ring", "--sizes", "1G"],
         "ranks: ring allreduce over 8000 ranks at 1073741824 B sends at least 4095488000 "
         "messages, over collective.max_messages (262144); use fewer ranks, another "
         "algorithm (--algo), or raise collective.max_messages"),
        (["--system", "8xA100-NVSwitch", "--nodes", "1000"],
         "ranks: tree allreduce over 8000 ranks at 16777216 B gets 1 slices per channel "
         "under collective.max_messages (262144), too few to fill its pipeline (needs 2: "
         "depth 26, 2 wanted); use fewer ranks, another algorithm (--algo), smaller sizes "
         "(--sizes), or raise collective.max_messages"),
        (["--system", "8xH100-NVSwitch", "--timeline", "t.json"],
         "--timeline: needs one size (e.g. --sizes 1M), got 31"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_with_exit_code_2(args: list[str], message: str) -> None:
    _assert_user_error(_gpusim("collective", "allreduce", *args), message)


def test_a_root_outside_the_ranks_is_refused() -> None:
    result = _gpusim("collective", "broadcast", "--system", "8xH100-NVSwitch", "--root", "8")
    _assert_user_error(result, "--root: ranks are 0 to 7, got 8")


def test_an_unknown_collective_is_a_usage_error() -> None:
    result = _gpusim("collective", "alltoallv", "--system", "8xH100-NVSwitch")
    assert result.exit_code == 2
    assert "No such command" in result.output
