"""Pages and API share one application: a missing page is a Chinese page, a missing API path is
JSON — whichever registered its handlers last."""

from tests.web.conftest import text


def test_an_unknown_page_answers_with_the_chinese_404_page(app):
    response = app.test_client().get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type and "Traceback" not in text(response)
    assert "页面" in text(response) or "不存在" in text(response)


def test_an_unknown_api_path_answers_with_a_json_error(app):
    response = app.test_client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"]


def test_a_wrong_method_on_a_page_is_a_chinese_405_page(app):
    response = app.test_client().delete("/login")
    assert response.status_code == 405 and "text/html" in response.content_type
