import pytest

from shared.secrets import SecretError, decrypt, decrypt_json, encrypt, encrypt_json


def test_a_secret_round_trips_and_is_not_stored_in_clear() -> None:
    token = encrypt("key-1", "hunter2")
    assert "hunter2" not in token
    assert decrypt("key-1", token) == "hunter2"
    assert encrypt("key-1", "hunter2") != token  # a fresh IV every time


def test_json_round_trips() -> None:
    config = {"url": "https://hooks.example/T0/B0/x", "secret": "s"}
    assert decrypt_json("key-1", encrypt_json("key-1", config)) == config


@pytest.mark.parametrize("token", ["", "garbage", "gAAAAA" + "A" * 80, "é", None, 5])
def test_garbage_is_refused(token) -> None:
    with pytest.raises(SecretError):
        decrypt("key-1", token)


def test_another_deployment_s_key_cannot_open_it() -> None:
    with pytest.raises(SecretError):
        decrypt("key-2", encrypt("key-1", "hunter2"))


def test_a_tampered_token_is_refused() -> None:
    token = encrypt("key-1", "hunter2")
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(SecretError):
        decrypt("key-1", flipped)


def test_sealed_non_json_is_refused() -> None:
    with pytest.raises(SecretError):
        decrypt_json("key-1", encrypt("key-1", "{not json"))
