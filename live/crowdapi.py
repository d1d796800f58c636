"""Blueprint: crowd rounds and predictions over HTTP (late joiners, compare panels, re-syncs).
Nothing here names a device: rows are public, "mine" travels only on the device's own socket."""
from flask import Blueprint, current_app, jsonify

bp = Blueprint("crowdapi", __name__, url_prefix="/api/crowd")


def crowd():
    return current_app.extensions["live"].crowd


@bp.get("")
def summaries():
    """Every round and every prediction so far (with its tally), oldest first."""
    return jsonify(rounds=crowd().crowd.summaries(), predictions=crowd().votes.summaries())


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id):
    """One round: its summary and every request (times in seconds since it opened)."""
    found = crowd().crowd.detail(round_id)
    if found is None:
        return jsonify(error=f"no round {round_id}"), 404
    return jsonify(found)
