"""Named people in the config (``server.users``) are checked with messages that name the key,
and the one table of actions says which role may take each (issue 18, *Roles*)."""

import hashlib

import pytest

from core.config import ConfigError
from core.people import ACTIONS, ROLES, Person, name_problem, refusal
from runtime.config import config_from_dict

ANN = "ann-token-0123456789"
OPS = "ops-token-0123456789"
ANN_SHA = hashlib.sha256(ANN.encode()).hexdigest()


def server(**keys):
    return config_from_dict({"server": keys}).server


def test_users_with_a_token_or_its_sha256_are_read_and_turn_auth_on():
    digest = hashlib.sha256(OPS.encode()).hexdigest()
    users = [{"name": "ann", "role": "annotator", "token": ANN},
             {"name": "olga", "role": "operator", "token_sha256": digest}]  # fmt: skip
    settings = server(users=users)
    read = [(u.name, u.role) for u in settings.users]
    assert read == [("ann", "annotator"), ("olga", "operator")]
    assert settings.auth_on and settings.auth_token is None
    assert server(auth_token=OPS).auth_on and not server().auth_on
    # Both at once: the token stays valid (as "admin") beside the users.
    assert server(auth_token=OPS, users=[{"name": "ann", "role": "viewer", "token": ANN}]).auth_on


@pytest.mark.parametrize(
    "users, words",
    [
        ([{"name": "ann", "role": "admn", "token": ANN}],
         r"server\.users\[0\]\.role: 'admn' is not one of viewer, annotator, operator"),
        ([{"name": "ann", "token": ANN}], r"server\.users\[0\]\.role: is required"),
        ([{"role": "viewer", "token": ANN}], r"server\.users\[0\]\.name: is required"),
        ([{"name": "a<b", "role": "viewer", "token": ANN}], r"users\[0\]\.name: .*not allowed"),
        ([{"name": "ann", "role": "viewer"}], r"users\[0\]: give either token or token_sha256"),
        ([{"name": "ann", "role": "viewer", "token": ANN, "token_sha256": "0" * 64}],
         r"users\[0\]: give either token or token_sha256"),
        ([{"name": "ann", "role": "viewer", "token": "short"}],
         r"users\[0\]\.token: must be at least 16 characters"),
        ([{"name": "ann", "role": "viewer", "token_sha256": "xyz"}],
         r"users\[0\]\.token_sha256: must be 64 hex digits"),
        ([{"name": "ann", "role": "viewer", "token": ANN, "password": "x"}],
         r"users\[0\]\.password: unknown key"),
        ([{"name": "ann", "role": "viewer", "token": ANN},
          {"name": "ann", "role": "operator", "token": OPS}],
         r"users\[1\]\.name: 'ann' is already the name of server\.users\[0\]"),
        ([{"name": "ann", "role": "viewer", "token": ANN},
          {"name": "bob", "role": "operator", "token_sha256": ANN_SHA}],
         r"users\[1\]: has the same token as server\.users\[0\]"),
        ("ann", r"server\.users: must be a list"),
    ],
)  # fmt: skip
def test_a_wrong_user_is_refused_naming_its_key(users, words):
    with pytest.raises(ConfigError, match=words):
        server(users=users)


def test_the_auth_token_keeps_the_name_admin_and_its_own_token():
    with pytest.raises(ConfigError, match=r"users\[0\]\.name: 'admin' is taken by server\.auth"):
        server(auth_token=OPS, users=[{"name": "admin", "role": "viewer", "token": ANN}])
    with pytest.raises(ConfigError, match=r"users\[0\]: has the same token as server\.auth"):
        server(auth_token=OPS, users=[{"name": "olga", "role": "viewer", "token": OPS}])
    # Without auth_token the name is free.
    assert server(users=[{"name": "admin", "role": "viewer", "token": ANN}]).users[0].name


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_take_the_actions_of_its_rank_and_below(role, action):
    reason = refusal(Person("kim", role, True), action)
    allowed = ROLES.index(role) >= ROLES.index(ACTIONS[action])
    assert (reason is None) == allowed
    if not allowed:
        assert reason.startswith(f"{role} 'kim' may not {action}: ")
        assert reason.endswith("operators may")


def test_the_refusal_says_who_may():
    assert refusal(Person("ann", "viewer"), "save spans") == (
        "viewer 'ann' may not save spans: annotators and operators may"
    )
    assert refusal(Person("ann", "annotator"), "train models") == (
        "annotator 'ann' may not train models: operators may"
    )
    with pytest.raises(KeyError, match="unknown action"):
        refusal(Person("ann", "operator"), "fly")


@pytest.mark.parametrize("name", ["", " ", "x" * 65, "a\tb", "a<b", " ann"])
def test_a_bad_name_says_what_is_wrong(name):
    assert name_problem(name)


def test_a_good_name_passes():
    assert name_problem("Ana María") is None and name_problem("bot-1.2") is None
