"""Figures for bench/audience.py: merge what the followers recorded into one summary, and print
it as a markdown table with the goals of issues 3 and 5 beside it. bench/abuse.py prints its
table with the same helpers (ms, goal, markdown)."""
import math
import os

MB = 1024 * 1024
GOALS = {"slide_p99": 0.100, "rss": 300 * MB, "done_p50": 0.020, "done_p99": 0.050}


def percentile(values, q):
    """Nearest-rank percentile (None for no values)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def spread(values):
    """{count, p50, p99, max} in seconds."""
    values = list(values)
    return {"count": len(values), "p50": percentile(values, 0.50),
            "p99": percentile(values, 0.99), "max": max(values, default=None)}


#: the lists of broadcast events in GET /api/runs/<id> (cpu and loop samples: issue 11)
EVENT_LISTS = ("spans", "errors", "cpu", "loop")


def run_events(record):
    """Every event of a run record that was broadcast with a seq of its own."""
    return [event for name in EVENT_LISTS for event in record.get(name, [])]


def run_seqs(start, end, record):
    """Every seq the run broadcast: its run_start, its events and run_end."""
    return {start["seq"], end["seq"], *(event["seq"] for event in run_events(record))}


def accounting(reports, start, truth):
    """Run events missed live, recovered from the API, and lost, summed over followers."""
    missed = recovered = lost = 0
    for report in reports:
        gone = truth - set(report["seqs"])
        back = gone & set(report["recovered"])
        if report["recovered_run"] and start["seq"] in gone:
            back.add(start["seq"])  # the run's summary stands for its run_start
        missed, recovered, lost = missed + len(gone), recovered + len(back), \
            lost + len(gone - back)
    return {"missed": missed, "recovered": recovered, "lost": lost}


def slide_latencies(reports, sent):
    """(presenter send -> receipt, at -> receipt, slide changes missed) over all followers."""
    after_send, after_at, missed = [], [], 0
    for report in reports:
        got = set()
        for slide, received, at in report["slides"]:
            if slide in sent:
                got.add(slide)
                after_send.append(received - sent[slide])
                after_at.append(received - at)
        missed += len(set(sent) - got)
    return spread(after_send), spread(after_at), missed


def anchor(reports, presenter_seen):
    """min(at - client_end) over every span seen: the runner's clock in epoch seconds, plus the
    smallest runner -> broadcast delay (so latencies from it undercount by that much)."""
    spans = [m for m in presenter_seen if m.get("type") == "span" and m.get("client_end")
             is not None]
    return min([r["least_delay"] for r in reports] + [m["at"] - m["client_end"] for m in spans],
               default=math.inf)


def relay_pace(start, record):
    """When the runner saw its requests done (its own clock) and when the app broadcast them
    (seconds after run_start): a backlog in the relay shows as the second stretching out."""
    done = [span["client_end"] for span in record["spans"] if span.get("client_end") is not None]
    origin = start.get("at") or record["started_at"]  # a dropped presenter missed run_start
    sent = [span["at"] - origin for span in record["spans"]]
    if not done or not sent:
        return None
    took = max(sent) - min(sent)
    return {"done_from": min(done), "done_to": max(done), "sent_from": min(sent),
            "sent_to": max(sent), "rate": len(sent) / took if took > 0 else None}


def relay_delays(record, zero):
    """Request done in the runner -> broadcast (`at`), per span: the app's own lag, whatever
    the followers do."""
    return spread(span["at"] - zero - span["client_end"] for span in record["spans"]
                  if span.get("client_end") is not None)


def summarise(options, crowd, presenter, footprint, record, phases):
    """Everything the table shows, as a JSON-able dict."""
    reports = [r for r in crowd.reports() if r["connected"]]
    start, end = phases["start"], phases["end"]
    truth = run_seqs(start, end, record)
    zero = anchor(reports, presenter.seen)
    send, at, slides_missed = slide_latencies(reports, presenter.sent)
    errors = [e for r in crowd.reports() for e in r["errors"]]
    return {
        "options": vars(options),
        "followers": options.followers, "connected": len(reports),
        "compressed": sum(r["compressed"] for r in reports),
        "processes": len(crowd.processes), "failures": crowd.failures,
        "connect_seconds": max((s for _n, s in crowd.ready.values()), default=None),
        "slide_after_send": send, "slide_after_at": at, "slides_missed": slides_missed,
        "span_after_at": spread(x for r in reports for x in r["span_after_at"]),
        "span_after_done": spread(x - zero for r in reports for x in r["span_after_end"]),
        "run": {"id": start["run"], "status": end["status"], "total": end["total"],
                "events": len(truth), "spans": len(record["spans"]),
                "errors": len(record["errors"]), "contiguous":
                truth == set(range(start["seq"], end["seq"] + 1))},
        "relay": relay_pace(start, record),
        "relay_delay": relay_delays(record, zero),
        "queued": {"unread": footprint.peak["unread"], "unsent": footprint.peak["unsent"]},
        "events": accounting(reports, start, truth),
        "reconnects": sum(r["reconnects"] for r in reports),
        "disorder": sum(r["disorder"] for r in reports),
        "errors": errors[:5], "error_count": len(errors),
        "rss": {"idle": footprint.first["worker"], "connected": phases["connected_rss"]["worker"],
                "peak": footprint.peak["worker"], "master": footprint.peak["master"],
                "children": footprint.peak["children"]},
        "run_seconds": phases["run_seconds"], "run_cpu": phases["run_cpu"],
        "client_cpu": [crowd.cpu[part] for part in sorted(crowd.cpu)],
        "machine": {"cores": os.cpu_count(), "busy_before": phases["busy_before"],
                    "load_before": phases["load_before"], "slides": phases["slides_load"],
                    "run": phases["run_load"]},
    }


def ms(value):
    return "-" if value is None else f"{value * 1000:.1f}"


def latency(figures):
    return f"{ms(figures['p50'])} / {ms(figures['p99'])} / {ms(figures['max'])} ms"


def verdict(ok):
    return "met" if ok else "**missed**"


def goal(met, text):
    return f"{text}: {verdict(met)}"


def at_most(value, limit):
    return value is not None and value <= limit


def pace(relay):
    if relay is None:
        return "-"
    rate = "-" if relay["rate"] is None else f"{relay['rate']:.0f}"
    return (f"{relay['done_from']:.2f}–{relay['done_to']:.2f} s / "
            f"{relay['sent_from']:.2f}–{relay['sent_to']:.2f} s ({rate} spans/s)")


def table(s, command):
    """The summary as a markdown table (measure | value | goal)."""
    rss, run, events, m = s["rss"], s["run"], s["events"], s["machine"]
    done = s["span_after_done"]
    rows = [
        ("followers connected", f"{s['connected']} / {s['followers']} "
         f"({s['processes']} client processes, all in {s['connect_seconds'] or 0:.1f} s; "
         f"{s['compressed']} with permessage-deflate)",
         f"all (500 in issue 5): {verdict(s['connected'] == s['followers'])}"),
        ("slide change, presenter send → follower, p50 / p99 / max", latency(s["slide_after_send"]),
         f"p99 ≤ 100 ms: {verdict(at_most(s['slide_after_send']['p99'], GOALS['slide_p99']))}; "
         f"≤ 50 ms (issue 8, 1,000 followers): "
         f"{verdict(at_most(s['slide_after_send']['p99'], 0.050))}"),
        ("slide change, `at` → follower, p50 / p99 / max", latency(s["slide_after_at"]), ""),
        ("slide changes missed", str(s["slides_missed"]),
         f"0 (issue 8): {verdict(s['slides_missed'] == 0)}"),
        ("run", f"{s['options']['demo']} n={s['options']['requests']} "
         f"delay={s['options']['delay']:g} server={s['options']['server']}: {run['status']}, "
         f"total {run['total']} s, {run['events']} events (seqs contiguous: {run['contiguous']})",
         ""),
        ("relay: spans done in the runner (its clock) / broadcast (after run_start)",
         pace(s["relay"]), ""),
        ("span event, request done in runner → broadcast (`at`), p50 / p99 / max",
         latency(s["relay_delay"]), ""),
        ("span event, `at` → follower, p50 / p99 / max (1 follower in 10 times spans)",
         latency(s["span_after_at"]), ""),
        ("span event, request done in runner → follower, p50 / p99 / max", latency(done),
         "issue 3 (100 followers): p50 ≤ 20, p99 ≤ 50 ms: " + verdict(
             at_most(done["p50"], GOALS["done_p50"]) and at_most(done["p99"], GOALS["done_p99"]))),
        ("peak bytes waiting in the kernel: unread by followers / unsent by the app",
         f"{s['queued']['unread'] / MB:.1f} / {s['queued']['unsent'] / MB:.1f} MB",
         "much unread: the followers, not the app, are behind"),
        ("run events missed live (gaps)", f"{events['missed']} (reconnects {s['reconnects']}, "
         f"out of order {s['disorder']})", ""),
        ("recovered from GET /api/runs/<id>", str(events["recovered"]), ""),
        ("events lost", str(events["lost"]), f"0: {verdict(events['lost'] == 0)}"),
        ("app worker RSS: idle / connected / peak",
         f"{rss['idle'] / MB:.0f} / {rss['connected'] / MB:.0f} / {rss['peak'] / MB:.0f} MB",
         f"≤ 300 MB: {verdict(rss['peak'] <= GOALS['rss'])}"),
        ("peak RSS: gunicorn master / runner + slow servers",
         f"{rss['master'] / MB:.0f} / {rss['children'] / MB:.0f} MB", ""),
        ("CPU during the run: app worker / follower processes",
         f"{s['run_cpu']:.2f} s in {s['run_seconds']:.1f} s / "
         + " + ".join(f"{c:.1f}" for c in s["client_cpu"]) + " s (whole bench)", ""),
        ("machine, CPU busy: before / slides / run (other processes: slides / run)",
         f"{m['busy_before']:.0%} / {m['slides']['busy']:.0%} / {m['run']['busy']:.0%} "
         f"of {m['cores']} cores ({m['slides']['others']:.0%} / {m['run']['others']:.0%})",
         "others ≈ 0% (else the figures are skewed)"),
    ]
    lines = [markdown(command, ("measure", "value", "goal"), rows)]
    if s["error_count"]:
        lines += ["", f"{s['error_count']} follower errors, e.g. {s['errors']}"]
    return "\n".join(lines)


def markdown(command, header, rows):
    """The command in backticks, a blank line, then `rows` as a markdown table under `header`."""
    lines = [f"`{command}`", "", cells(header), "|" + " --- |" * len(header)]
    return "\n".join(lines + [cells(row) for row in rows])


def cells(row):
    return "| " + " | ".join(row) + " |"
