"""The database's epoch: made with the database, kept across restarts, new after a reset."""
import asyncio

from viewers import connect, state


def hello_epoch(app):
    async def scenario():
        async with connect(app) as viewer:
            return viewer.hello["epoch"]
    return asyncio.run(scenario())


def test_the_epoch_lives_as_long_as_the_database(app_factory, tmp_path):
    app = app_factory()
    first = hello_epoch(app)
    assert isinstance(first, str) and len(first) >= 16 and state(app)["epoch"] == first
    app.restart()  # same instance folder, same database
    assert hello_epoch(app) == first
    app.instance = tmp_path / "reset"  # a fresh database
    app.restart()
    fresh = hello_epoch(app)
    assert fresh != first and state(app)["epoch"] == fresh and state(app)["seq"] == 0
