"""What nginx serves outside the API: its own JSON errors and the dashboard."""
import pytest


@pytest.mark.parametrize("path", ["/x.html", "/x.js", "/a/b.css", "/api/x.html", "/api/x.svg"])
def test_nginx_json_errors_are_labelled_json_whatever_the_extension(stack, path):
    r = stack.get(path)
    assert r.status_code in (401, 404), r.text
    assert r.headers["Content-Type"] == "application/json", r.headers
    assert r.json()["success"] is False
