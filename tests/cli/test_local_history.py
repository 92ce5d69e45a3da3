"""The embedded default keeps history: a range of days in one process, a store that outlives it,
and `history` / `report` over that store. Real generated data, the real pipeline, no mocks."""

import json
import sqlite3
from datetime import date, timedelta

import pytest

from albrecon.cli import main
from albrecon.generator.dataset import AlbSpec, DatasetSpec, generate
from albrecon.local.store import STORE_FILE, STORE_FOLDER
from albrecon.pipeline import LocalPipeline

pytestmark = pytest.mark.slow
FIRST = date(2026, 3, 30)  # the range crosses a month, so two CUR billing periods
DAYS = [FIRST + timedelta(days=n) for n in range(4)]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("range")
    spec = DatasetSpec(
        day=FIRST,
        days=len(DAYS),
        albs=[
            AlbSpec("web", "0123456789abcdef", enis=2),
            AlbSpec("api", "fedcba9876543210", enis=2, cur_factor_by_day=(1.0, 1.0, 1.2)),
            AlbSpec("img", "00112233aabbccdd", enis=1, flow_logs_lost_on=(1,)),
        ],
        records_per_day=8_000,
    )
    truth = generate(spec, out)
    return out, truth


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _stored(data, day: str) -> dict[str, dict]:
    rows = sqlite3.connect(data / STORE_FOLDER / STORE_FILE).execute(
        "SELECT item FROM results WHERE date = ?", (day,)
    )
    return {item["load_balancer_arn"]: item for item in (json.loads(r[0]) for r in rows)}


def test_a_range_reconciles_each_day_exactly_and_keeps_it(dataset, capsys):
    data, truth = dataset
    code, out, err = _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")
    assert code == 0, out + err
    assert "reconcile: 100%" in err and "4/4" in err  # the progress bar
    for day in DAYS:
        assert f"{day}  SUCCEEDED" in out
        stored = _stored(data, day.isoformat())
        expected = truth["days"][day.isoformat()]["load_balancers"]
        assert set(stored) == set(expected)
        for arn, answer in expected.items():
            assert stored[arn]["flow_log_bytes"] == answer["flow_log_bytes"], (day, answer["name"])
            assert stored[arn]["cur_gb"] == pytest.approx(answer["cur_gb"], rel=1e-9)
    statuses = {
        (day.isoformat(), item["load_balancer"]): item["status"]
        for day in DAYS
        for item in _stored(data, day.isoformat()).values()
    }
    assert statuses[("2026-03-31", "img")] == "MISSING_FLOW_LOGS"
    assert statuses[("2026-04-01", "img")] == "MATCH"
    assert statuses[("2026-04-01", "api")] == statuses[("2026-04-02", "api")] == "MISMATCH"
    # ENIs of the range's history live across days: the ENIs of the days are not all the same
    per_day = [
        {e for lb in truth["days"][d.isoformat()]["load_balancers"].values() for e in lb["eni_ids"]}
        for d in DAYS
    ]
    assert len({frozenset(s) for s in per_day}) > 1


def test_a_later_process_starts_from_the_store_and_a_rerun_replaces_the_day(dataset, capsys):
    data, truth = dataset
    assert _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-03-31")[0] == 0
    day = "2026-03-31"
    before = _stored(data, day)
    with LocalPipeline(data, keep_history=True) as pipeline:
        assert pipeline.replayed == {}  # every event was received before: the inventory came from the store
        run = pipeline.run(day)
    assert run.report.status == "SUCCEEDED"
    after = _stored(data, day)
    assert set(after) == set(before) and len(after) == 3  # replaced, not duplicated
    for arn, answer in truth["days"][day]["load_balancers"].items():
        assert after[arn]["flow_log_bytes"] == answer["flow_log_bytes"]
        assert after[arn]["execution_arn"] != before[arn]["execution_arn"]
    runs = sqlite3.connect(data / STORE_FOLDER / STORE_FILE).execute(
        "SELECT execution_status FROM runs WHERE date = ?", (day,)
    )
    assert [r[0] for r in runs] == ["SUCCEEDED"]


def test_ephemeral_keeps_nothing(tmp_path, capsys):
    spec = DatasetSpec(day=FIRST, albs=[AlbSpec("web", "0123456789abcdef")], records_per_day=2_000)
    generate(spec, tmp_path)
    code, out, _ = _cli(capsys, "local", "--data", str(tmp_path), "--date", FIRST.isoformat(), "--ephemeral")
    assert code == 0 and "MATCH" in out
    assert not (tmp_path / STORE_FOLDER).exists()


def test_history_and_report_read_the_local_store(dataset, capsys, tmp_path):
    data, _ = dataset
    assert _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")[0] == 0
    code, out, _ = _cli(
        capsys, "history", "--data", str(data), "--to", "2026-04-02", "--days", "3", "--json", "--alb", "api"
    )
    assert code == 0
    items = json.loads(out)
    assert [(i["date"], i["status"]) for i in items] == [
        ("2026-03-30", "MATCH"),
        ("2026-03-31", "MATCH"),
        ("2026-04-01", "MISMATCH"),
        ("2026-04-02", "MISMATCH"),
    ]
    # without --to, a local store's window ends at its last stored day (a dataset's, not today)
    code, out, _ = _cli(capsys, "history", "--data", str(data), "--days", "3", "--json", "--alb", "api")
    assert code == 0 and json.loads(out) == items
    code, out, _ = _cli(capsys, "history", "--data", str(data), "--to", "2026-01-10", "--days", "3")
    assert code == 0 and "stored: 2026-03-30 to 2026-04-02" in out
    page = tmp_path / "r.html"
    code, out, _ = _cli(
        capsys,
        "report",
        "--data",
        str(data),
        "--from",
        "2026-03-30",
        "--to",
        "2026-04-02",
        "--out",
        str(page),
    )
    assert code == 0 and "12 results" in out
    text = page.read_text()
    assert "MISSING_FLOW_LOGS" in text and "<svg" in text and "http://" not in text.split("<svg")[0]


def test_history_of_a_directory_never_reconciled_says_how(tmp_path, capsys):
    code, _, err = _cli(capsys, "history", "--data", str(tmp_path))
    assert code == 2 and "no local results" in err and "--from" in err


def test_local_refuses_date_with_a_range(dataset, capsys):
    data, _ = dataset
    code, _, err = _cli(capsys, "local", "--data", str(data), "--date", "2026-03-30", "--from", "2026-03-30")
    assert code == 2 and "either --date, or both --from and --to" in err


def test_demo_reconciles_a_week_and_writes_its_report(tmp_path, capsys):
    report = tmp_path / "demo-report.html"
    code, out, err = _cli(
        capsys, "demo", "--out", str(tmp_path / "demo"), "--records", "12000", "--report", str(report)
    )
    assert code == 0, out + err
    lines = [line for line in out.splitlines() if line[:4].isdigit() and "SUCCEEDED" in line]
    assert len(lines) == 7
    assert "The last day" in out and "payments-api" in out and "MISMATCH" in out.split("The last day")[1]
    text = report.read_text()
    assert text.count("MISSING_FLOW_LOGS") >= 1 and "search-api" in text


def test_generating_again_into_a_directory_forgets_its_local_history(tmp_path, capsys):
    """Event ids are stable, so a regenerated dataset with other ALBs would look already received."""
    first = ["generate", "--out", str(tmp_path), "--date", "2026-03-30", "--records", "2000"]
    assert _cli(capsys, *first, "--alb", "old:0123456789abcdef:2")[0] == 0
    assert _cli(capsys, "local", "--data", str(tmp_path), "--date", "2026-03-30")[0] == 0
    code, out, _ = _cli(capsys, *first, "--alb", "new:0123456789abcdef:2")
    assert code == 0 and "Removed" in out
    code, out, _ = _cli(capsys, "local", "--data", str(tmp_path), "--date", "2026-03-30", "--json")
    assert code == 0
    assert [r["load_balancer"] for r in json.loads(out)["results"]] == ["new"]


def test_demo_and_generate_never_delete_or_mix_into_a_users_directory(tmp_path, capsys):
    """`demo --out DIR` replaced DIR with rmtree: a user's file was lost. Only a directory that
    albrecon wrote (its marker file) is ever replaced or written into without --force."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("months of work")
    for verb in (["demo", "--out", str(mine)], ["generate", "--out", str(mine), "--date", "2026-03-30"]):
        code, _, err = _cli(capsys, *verb)
        assert code == 2 and "albrecon did not write" in err
        assert (mine / "thesis.txt").read_text() == "months of work"
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.txt"]


def test_version():
    from albrecon.cli import main

    with pytest.raises(SystemExit) as shown:
        main(["--version"])
    assert shown.value.code == 0


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["hsitory"], "did you mean 'history'?"),
        (["backfil", "--from", "2026-01-01"], "did you mean 'backfill'?"),
        (["history", "--dayz", "3"], "(did you mean --days?)"),
    ],
)
def test_a_mistyped_verb_or_option_gets_the_nearest_one(capsys, argv, suggestion):
    from albrecon.cli import main

    with pytest.raises(SystemExit) as refused:
        main(argv)
    assert refused.value.code == 2 and suggestion in capsys.readouterr().err


def test_a_range_skips_the_days_it_already_reconciled_unless_forced(dataset, capsys):
    data, _ = dataset
    assert _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")[0] == 0
    code, out, err = _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")
    assert code == 0 and "skipped 4 day(s) already reconciled (2026-03-30 to 2026-04-02" in err
    assert "SUCCEEDED" not in out
    code, out, err = _cli(
        capsys, "local", "--data", str(data), "--from", "2026-04-01", "--to", "2026-04-02", "--force"
    )
    assert code == 0 and "skipped" not in err and "2026-04-01  SUCCEEDED" in out
    # the range's summary ends with what needs attention, largest $ first - not every ALB
    assert "needing attention" in out.split("The last day")[1]


def test_ctrl_c_in_a_range_keeps_the_days_done_and_says_so(dataset, capsys, tmp_path, monkeypatch):
    import shutil

    source, _ = dataset
    data = tmp_path / "data"
    shutil.copytree(source, data, ignore=shutil.ignore_patterns(STORE_FOLDER))
    ran = LocalPipeline.run

    def interrupted_on_the_second_day(self, day, *args, **kwargs):
        if day == "2026-03-31":
            raise KeyboardInterrupt
        return ran(self, day, *args, **kwargs)

    monkeypatch.setattr(LocalPipeline, "run", interrupted_on_the_second_day)
    code, out, err = _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")
    assert code == 130 and "Traceback" not in err
    assert "interrupted: 1 of 4 days reconciled and kept (2026-03-30 to 2026-03-30)" in err
    assert set(_stored(data, "2026-03-30")) and not _stored(data, "2026-03-31")
    monkeypatch.setattr(LocalPipeline, "run", ran)
    code, out, err = _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")
    assert code == 0 and "skipped 1 day(s) already reconciled" in err
    assert "2026-03-31  SUCCEEDED" in out and "2026-03-30  SUCCEEDED" not in out


def test_every_verb_that_prints_results_speaks_one_schema_in_each_output(dataset, capsys):
    import csv
    import io

    from albrecon.output import RESULT_FIELDS

    data, _ = dataset
    assert _cli(capsys, "local", "--data", str(data), "--from", "2026-03-30", "--to", "2026-04-02")[0] == 0
    day = ["--data", str(data), "--date", "2026-04-01", "--force"]
    code, out, _ = _cli(capsys, "local", *day[:4], "--output", "csv")
    assert code == 0
    local_rows = list(csv.DictReader(io.StringIO(out)))
    assert list(local_rows[0]) == ["date", *RESULT_FIELDS, "execution_arn"] and len(local_rows) == 3
    code, out, _ = _cli(
        capsys, "history", "--data", str(data), "--to", "2026-04-01", "--days", "1", "--output", "csv"
    )
    history_rows = [r for r in csv.DictReader(io.StringIO(out)) if r["date"] == "2026-04-01"]
    assert history_rows == local_rows  # the same rows, field for field
    code, out, _ = _cli(
        capsys, "history", "--data", str(data), "--to", "2026-04-01", "--days", "1", "--output", "json"
    )
    assert [list(r) for r in json.loads(out) if r["date"] == "2026-04-01"] == [list(r) for r in local_rows]
    code, _, err = _cli(capsys, "history", "--data", str(data), "--json", "--output", "csv")
    assert code == 2 and "one of --output, --json and --csv" in err


def test_generate_scales_its_records_with_the_albs_and_writes_an_organizations_scope(tmp_path, capsys):
    """Issue 23: the README's recipes must show what they promise. 20,000 records a day spread over
    200 ALBs left every drifting ALB under MinDeltaGB; an Organization's dataset needed its scope
    given by hand."""
    code, _, err = _cli(
        capsys,
        "generate",
        "--out",
        str(tmp_path / "org"),
        "--date",
        "2026-03-30",
        "--random-albs",
        "30",
        "--alb",
        "far:0123456789abcdef:2:1.0:210987654321:eu-west-1",
    )
    assert code == 0 and "generate" in err  # the progress bar
    truth = json.loads((tmp_path / "org" / "ground-truth.json").read_text())
    assert truth["flow_log_records"] >= 0.9 * 31_000  # 1,000 a day per ALB (at least 20,000)
    parameters = json.loads((tmp_path / "org" / "parameters.json").read_text())
    assert parameters["Accounts"] == "123456789012,210987654321"
    assert parameters["Regions"] == "eu-west-1,us-east-1"


def test_replay_refuses_a_missing_or_empty_events_directory(tmp_path, capsys):
    code, _, err = _cli(capsys, "replay", "--events", str(tmp_path / "nope"))
    assert code == 2 and "no events directory" in err
    code, _, err = _cli(capsys, "replay", "--events", str(tmp_path))
    assert code == 2 and "no events in" in err
