"""Staff can list and mark requests from the command line."""
from clinic.requests.inbox import main
from databases import migrated_store


def test_list_show_and_mark(tmp_path, capsys):
    store = migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
    request, _ = store.submit("booking", "conv-1", {"patient_name": "Ana Ruiz", "phone": "555 201 7788"}, [])
    assert main(["list"], store) == 0
    listing = capsys.readouterr().out
    assert "1 new request(s)." in listing and request.reference in listing and "Ana Ruiz" in listing
    assert main(["mark", request.reference.lower(), "contacted", "--assignee", "Sam"], store) == 0
    assert "contacted" in capsys.readouterr().out
    assert store.get(request.reference).assignee == "Sam"
    assert main(["show", "MC-NOPE00"], store) == 1
