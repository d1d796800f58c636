"""Crowd fixtures: an app of their own (rounds and votes are app-wide state), started by the
root `app_factory` with a small waiting cap so the cap can be reached in a test."""
import pytest

from crowdsockets import CAP, presenter_cookie


@pytest.fixture(scope="module")
def crowd_app(module_app_factory):
    return module_app_factory("--crowd-cap", str(CAP))


@pytest.fixture(scope="module")
def cookie(crowd_app):
    return presenter_cookie(crowd_app)
