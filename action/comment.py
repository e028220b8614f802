#!/usr/bin/env python3
"""Post or update the one sticky pull-request comment of `vital diff`.

    python3 action/comment.py REPORT.md [PROJECT_PATH]

The comment starts with a hidden marker naming the project path, so a
workflow that diffs two projects keeps two comments, and each push updates
its own instead of adding one. Reads GITHUB_API_URL, GITHUB_REPOSITORY,
GITHUB_EVENT_PATH (the pull request's number) and VITAL_TOKEN. A token
without write access (a pull request from a fork) is a warning, not a
failure: the report is still in the job summary.
"""
import json
import os
import re
import sys
import urllib.error
import urllib.request

LIMIT = 65536


def request(method, url, token, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/vnd.github+json")
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("X-GitHub-Api-Version", "2022-11-28")
    req.add_header("User-Agent", "vital-action")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode("utf-8")
        return (json.loads(text) if text else None), resp.headers.get("Link", "")


def next_page(link):
    for part in link.split(","):
        m = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if m:
            return m.group(1)
    return None


def main():
    report = sys.argv[1]
    project = sys.argv[2] if len(sys.argv) > 2 else "."
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    repo = os.environ["GITHUB_REPOSITORY"]
    token = os.environ.get("VITAL_TOKEN", "")
    with open(os.environ["GITHUB_EVENT_PATH"], encoding="utf-8") as f:
        event = json.load(f)
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if not number:
        print("::warning::vital: not a pull request; no comment posted")
        return 0
    marker = f"<!-- vital-diff: {project} -->"
    with open(report, encoding="utf-8") as f:
        body = f"{marker}\n{f.read()}"
    if len(body) > LIMIT:
        body = body[: LIMIT - 100] + "\n\n…cut to fit a comment; the job summary has the whole report.\n"
    try:
        url = f"{api}/repos/{repo}/issues/{number}/comments?per_page=100"
        existing = None
        while url and existing is None:
            comments, link = request("GET", url, token)
            existing = next((c for c in comments if c.get("body", "").startswith(marker)), None)
            url = next_page(link)
        if existing is None:
            made, _ = request("POST", f"{api}/repos/{repo}/issues/{number}/comments", token, {"body": body})
            print(f"vital: posted the diff as comment {made.get('id')}")
        else:
            request("PATCH", f"{api}/repos/{repo}/issues/comments/{existing['id']}", token, {"body": body})
            print(f"vital: updated comment {existing['id']}")
    except urllib.error.HTTPError as e:
        if e.code in (401, 403, 404):
            print(f"::warning::vital: cannot comment on the pull request (HTTP {e.code}: the token needs pull-requests: write; from a fork it has none). The report is in the job summary.")
            return 0
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
