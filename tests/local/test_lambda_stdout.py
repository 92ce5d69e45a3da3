"""A handler's prints are its function's output; what other threads print meanwhile is not
(the CLI prints an execution's progress from the main thread while its Lambdas run in moto's)."""

import threading

from albrecon.local.lambdas import LocalFunction

HANDLER = """
import threading

started, release = threading.Event(), threading.Event()


def handler(event, context):
    print("from the handler")
    started.set()
    release.wait(10)
    print("from the handler, later")
    return {"ok": True}
"""


def test_other_threads_print_where_they_did_while_a_handler_runs(tmp_path, capsys, monkeypatch):
    (tmp_path / "printing_probe.py").write_text(HANDLER)
    monkeypatch.syspath_prepend(str(tmp_path))  # the test reaches the handler's events too
    function = LocalFunction(
        logical_id="Probe",
        name="probe",
        arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
        handler="printing_probe.handler",
        code_dir=tmp_path,
        environment={},
        memory=128,
        timeout=30,
    )
    answers = []
    worker = threading.Thread(target=lambda: answers.append(function.invoke({})))
    worker.start()
    import printing_probe

    assert printing_probe.started.wait(10)
    print("progress from the main thread")
    printing_probe.release.set()
    worker.join(10)

    assert answers == [{"ok": True}]
    assert function.stdout == ["from the handler", "from the handler, later"]
    assert "progress from the main thread" in capsys.readouterr().out
