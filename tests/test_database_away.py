"""With the database out of reach, pages and the API answer 503 with Retry-After, in the
user's language, without a traceback and without touching the database again."""

from tracker import create_app

from .conftest import BASE_CONFIG

# Nothing listens on port 1: connecting fails at once, as with a database that is down.
AWAY = "postgresql+psycopg://postgres@127.0.0.1:1/tracker?connect_timeout=2"


def _app(tmp_path):
    return create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": AWAY, "UPLOAD_FOLDER": str(tmp_path)}
    )


def test_a_page_that_needs_the_database_answers_503_in_the_users_language(tmp_path):
    client = _app(tmp_path).test_client()
    response = client.post(
        "/login",
        data={"student_no": "20260001", "password": "irrelevant-here"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "暂时无法连接数据库" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_api_answers_503_as_json(tmp_path):
    client = _app(tmp_path).test_client()
    response = client.get(
        "/api/v1/me",
        headers={"Authorization": "Bearer trk_" + "a" * 40, "Accept-Language": "en"},
    )
    assert response.status_code == 503 and response.is_json
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"]["code"] == "unavailable"
